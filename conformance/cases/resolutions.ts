/** Known disagreements by case id, with what was done (shown in docs/conformance.md). */
export const RESOLUTIONS: Readonly<Record<string, string>> = {};
