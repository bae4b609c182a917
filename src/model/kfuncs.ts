/**
 * The model layer's kfuncs, registered (see kfunc/registry.ts): importing this module loads every
 * concept's table. The layer above (src/task_work/kfuncs.ts) imports it before registering its own.
 */
import './bprintf/kfuncs.ts';
import './dynptr/kfuncs.ts';
import './dynptr/ringbuf/kfuncs.ts';
import './dynptr/skb/kfuncs.ts';
import './dynptr/xdp/kfuncs.ts';
import './fs/kfuncs.ts';
import './helpers/kfuncs.ts';
import './iter/kfuncs.ts';
import './kptr/kfuncs.ts';
import './maps/kfuncs.ts';
import './packet/kfuncs.ts';
import './rcu/kfuncs.ts';
import './ringbuf/kfuncs.ts';
import './task/kfuncs.ts';

export { KFUNCS, kfuncDef, type KfuncRegistry } from './kfunc/registry.ts';
