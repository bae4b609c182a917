import { Immer } from 'immer';
import { kfuncsOf, Session, SLEEPABLE } from '../src/index.ts';
import { transactWith } from '../src/model/world.ts';
import { fileReaderObject } from '../examples/file_reader.ts';
const s = new Session(); s.load(fileReaderObject()); const w = s.world;
const map = [...w.maps.keys()][0] ?? 0;
const e = new Immer({ autoFreeze: true });
try { for (let i = 0; i < 3; i++) transactWith(e, w, SLEEPABLE, (k) => kfuncsOf(k).bpf_map_update_elem(map, 0, new Uint8Array(8), 0)); console.log('ok'); } catch (err) { console.log(err); }
