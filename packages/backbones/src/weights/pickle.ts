/**
 * A restricted unpickler: enough of Python's pickle protocols 0–5 to read PyTorch checkpoints,
 * and nothing that can run code. A pickle may only name globals from an explicit allow-list
 * (tensor rebuilding helpers, storage classes, OrderedDict); any other global — `os.system`,
 * `builtins.eval`, a user's class — is refused when it is first named, before anything is called.
 *
 * Python values map to: None → null, bool → boolean, int → number (bigint beyond 2^53), float →
 * number, str → string, bytes → Uint8Array, list → array, tuple → PyTuple (a frozen array), dict
 * → Map. Calls (REDUCE) go to the allow-list's handlers; persistent ids go to the caller.
 */
import { InputError } from '@percept/core';

/** A Python tuple: a frozen array, distinguishable from a list. */
export class PyTuple extends Array<unknown> {
  static of2(items: unknown[]): PyTuple {
    const t = new PyTuple();
    t.push(...items);
    return Object.freeze(t) as PyTuple;
  }
}

/** A reference to an allowed global that is not callable as a function (e.g. a storage class). */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string { return `${this.module}.${this.name}`; }
}

export interface PickleGlobals {
  /** Allowed `module.name` → what GLOBAL pushes: a function (callable by REDUCE) or any other value. */
  readonly [qualified: string]: ((...args: unknown[]) => unknown) | PyGlobal | unknown;
}

export interface UnpickleOptions {
  /** Names the file in every error. */
  source: string;
  globals: PickleGlobals;
  /** Resolves BINPERSID/PERSID ids (PyTorch storages). */
  persistentLoad?: (pid: unknown) => unknown;
}

/** Unpickles one pickle starting at `offset`. Returns the value and the offset just past STOP. */
export function unpickle(bytes: Uint8Array, offset: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const { source } = opts;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');

  const fail = (what: string, at = pos): never => { throw new InputError(`${source}: cannot unpickle at byte ${at}: ${what}`); };
  const need = (n: number) => { if (pos + n > bytes.length) fail(`needs ${n} more byte(s) but the data ends at byte ${bytes.length}: the file is truncated`); };
  const u8 = () => { need(1); return bytes[pos++]; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = () => { need(8); const v = view.getBigUint64(pos, true); pos += 8; if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('length too large'); return Number(v); };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text argument: the file is truncated');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail('stack underflow (corrupt pickle)');
    return stack.pop();
  };
  const top = () => { if (stack.length === 0) fail('stack underflow (corrupt pickle)'); return stack[stack.length - 1]; };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack (corrupt pickle)');
    const items = stack.splice(m!);
    return items;
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const resolveGlobal = (module: string, name: string): unknown => {
    const q = `${module}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(opts.globals, q)) {
      fail(`refusing to load the Python global "${q}": only tensor-related globals are allowed (${Object.keys(opts.globals).join(', ')}). The file may be a full pickled object rather than a state dict, or it may be malicious.`);
    }
    return opts.globals[q];
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail('SETITEM(S) on a value that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target) || target instanceof PyTuple) fail('APPEND(S) on a value that is not a list');
    (target as unknown[]).push(...items);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const value = pop();
        return { value, end: pos };
      }
      case 0x28: marks.push(stack.length); break; // MARK: remembered as a stack depth
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(longFrom(take(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative LONG4 length'); stack.push(longFrom(take(n))); break; }
      case 0x49: { // INT (protocol 0 text; "01"/"00" are True/False)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ''), 10)); break; // LONG (text)
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(take(u64()))); break; // BINUNICODE8
      // Python 2 str: PyTorch's legacy files use these for keys; decode as latin-1 like encoding='latin1'.
      case 0x54: { const n = i32(); if (n < 0) fail('negative BINSTRING length'); stack.push(latin1.decode(take(n))); break; }
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(PyTuple.of2([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(PyTuple.of2(popMark())); break; // TUPLE
      case 0x85: stack.push(PyTuple.of2([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(PyTuple.of2([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(PyTuple.of2([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x70: memo.set(Number.parseInt(line(), 10), top()); break; // PUT (text)
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const idx = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(idx)) fail(`memo key ${idx} was never stored (corrupt pickle)`, at);
        stack.push(memo.get(idx));
        break;
      }
      case 0x63: { const module = line(); const name = line(); stack.push(resolveGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(); const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(); const fn = pop();
        if (typeof fn !== 'function') fail(`cannot call ${fn instanceof PyGlobal ? `"${fn.qualified}"` : 'a non-callable value'}`, at);
        if (!(args instanceof PyTuple)) fail('REDUCE arguments are not a tuple', at);
        stack.push((fn as (...a: unknown[]) => unknown)(...(args as unknown[])));
        break;
      }
      case 0x62: { // BUILD: only dict state on a dict (OrderedDict._metadata and similar) is accepted, and ignored
        const state = pop(); const obj = top();
        if (!(obj instanceof Map)) fail('BUILD (setting object state) is only allowed on dicts', at);
        if (state !== null && !(state instanceof Map) && !(state instanceof PyTuple)) fail('BUILD state is not a dict', at);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('the pickle references external data (persistent id) but none is expected here', at);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!opts.persistentLoad) fail('the pickle references external data (persistent id) but none is expected here', at);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unsupported or disallowed pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}')`, at);
    }
  }
}
