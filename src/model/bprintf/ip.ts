/**
 * The text of `%pI4`, `%pi4`, `%pI6` and `%pi6` (lib/vsprintf.c `ip4_string`, `ip6_string`), which
 * `bpf_bprintf_prepare` formats into the binary buffer: IPv4 as four decimal bytes joined by dots
 * (`i`: each three digits, zero-padded); IPv6 as sixteen bytes in lowercase hex, two bytes a group
 * (`I`: groups joined by colons; `i`: none). Never the compressed form.
 */
const hex = (b: number): string => b.toString(16).padStart(2, '0');

export function formatIp(upper: boolean, addr: Uint8Array): Uint8Array {
  let s: string;
  if (addr.length === 4) s = [...addr].map((b) => (upper ? String(b) : String(b).padStart(3, '0'))).join('.');
  else {
    const groups: string[] = [];
    for (let g = 0; g < 8; g += 1) groups.push(hex(addr[2 * g] as number) + hex(addr[2 * g + 1] as number));
    s = groups.join(upper ? ':' : '');
  }
  return new TextEncoder().encode(s);
}
