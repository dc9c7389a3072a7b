/**
 * The isolate side of the boundary (see boundary.ts): source of the `setup` function that runs first in
 * every fresh context, before the plugin code. It captures the intrinsics it needs, removes the globals
 * plugins may not use, keeps the host's raw callbacks in its closure (plugin code cannot reach them)
 * and returns `enter(op, …)` — the only function the host calls later: `enter(1, exportName, inputJson,
 * grantedJson)` is `invoke` (its envelope goes to the host through `done`), `enter(2, id, envelopeJson)` is
 * `settle`.
 *
 * A context is prepared ahead of its invocation (ADR 038): setup and the plugin's top level run before
 * anyone knows what the invocation will be granted, so `invoke` sets the list `host.granted` reads, and
 * `invoke` runs at most once per context — the host discards the context after it.
 *
 * Wire formats (all strings, parsed with the captured JSON.parse):
 * - `callSync(name, argsJson)` returns `{"ok":true,"value":…}` or
 *   `{"ok":false,"error":{"code","message","retryable"}}`.
 * - `callAsync(id, name, argsJson)` returns nothing and does not wait for the host (ADR 038): the
 *   isolate numbers the call, and the host always answers through `settle(id, envelope)` with one of
 *   the two envelopes above — refusals included.
 * - `invoke(exportName, inputJson, grantedJson)` returns nothing; once the plugin's `run` settled it calls
 *   `done(envelope)` once, with `"v" + json` (value), `"x" + length` (value too large) or `"e" + json`
 *   (`{ message, hostCode?, retryable? }`, the plugin failed). `invoke` calls `done` itself at each exit
 *   (no `then` or `await` on its own promise, whose lookups plugin code could have replaced).
 */
export const BOOTSTRAP_SOURCE = `(function setup(configJson, callSync, callAsync, done) {
  "use strict";
  const G = globalThis;
  const parse = JSON.parse, stringify = JSON.stringify, apply = Reflect.apply;
  const freeze = Object.freeze, keys = Object.keys, hasOwn = Object.prototype.hasOwnProperty;
  const defineProperty = Object.defineProperty;
  const ErrorCtor = Error, StringCtor = String, PromiseCtor = Promise, promiseReject = Promise.reject;
  const WeakMapCtor = WeakMap, wmGet = WeakMap.prototype.get, wmSet = WeakMap.prototype.set;
  const MapCtor = Map, mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete;
  const slice = String.prototype.slice, indexOf = String.prototype.indexOf;
  const config = parse(configJson);
  const maxOutputChars = config.maxOutputChars;
  delete G.WebAssembly;
  delete G.SharedArrayBuffer;
  delete G.Atomics;

  const hostErrors = new WeakMapCtor();
  const pending = new MapCtor();
  let nextCallId = 1;

  function hostError(e) {
    const message = StringCtor(e.message);
    const err = new ErrorCtor(message);
    err.code = StringCtor(e.code);
    err.retryable = e.retryable === true;
    apply(wmSet, hostErrors, [err, { hostCode: err.code, message: message, retryable: err.retryable }]);
    return err;
  }
  function argsOf(list) {
    const args = [];
    for (let i = 0; i < list.length; i++) args[i] = list[i] === undefined ? null : list[i];
    return stringify(args);
  }
  function syncCall(name) {
    return function () {
      const out = parse(callSync(name, argsOf(arguments)));
      if (out.ok === true) return out.value === null ? undefined : out.value;
      throw hostError(out.error);
    };
  }
  function asyncCall(name) {
    return function () {
      let argsJson;
      try { argsJson = argsOf(arguments); } catch (e) { return apply(promiseReject, PromiseCtor, [e]); }
      const id = nextCallId++;
      const promise = new PromiseCtor(function (resolve, reject) {
        apply(mapSet, pending, [id, { resolve: resolve, reject: reject }]);
      });
      callAsync(id, name, argsJson);
      return promise;
    };
  }
  function settle(id, envelopeJson) {
    const waiter = apply(mapGet, pending, [id]);
    if (waiter === undefined) return;
    apply(mapDelete, pending, [id]);
    const out = parse(envelopeJson);
    if (out.ok === true) waiter.resolve(out.value);
    else waiter.reject(hostError(out.error));
  }

  // every host function, from the vocabulary's table (config.calls: [name, mode] pairs, "member" or
  // "member.method"); each member present whether granted or not, frozen. Built at preparation, before
  // the plugin's top level runs (which cannot reach it: only invoke hands it out); what is granted is
  // known only at invoke, so granted is a getter over the list invoke sets (ADR 048).
  let grantedList = freeze([]);
  function hostFor() {
    const host = {};
    defineProperty(host, "granted", { enumerable: true, get: function granted() { return grantedList; } });
    const calls = config.calls;
    for (let i = 0; i < calls.length; i++) {
      const name = calls[i][0];
      const fn = calls[i][1] === "sync" ? syncCall(name) : asyncCall(name);
      const dot = apply(indexOf, name, ["."]);
      if (dot < 0) {
        host[name] = fn;
      } else {
        const member = apply(slice, name, [0, dot]);
        if (!apply(hasOwn, host, [member])) host[member] = {};
        host[member][apply(slice, name, [dot + 1])] = fn;
      }
    }
    const members = keys(host);
    for (let i = 0; i < members.length; i++) freeze(host[members[i]]);
    return freeze(host);
  }

  function describe(e) {
    try {
      const known = (typeof e === "object" || typeof e === "function") && e !== null ? apply(wmGet, hostErrors, [e]) : undefined;
      if (known !== undefined) return known;
      let message;
      if (e instanceof ErrorCtor) message = StringCtor(e.name) + ": " + StringCtor(e.message);
      else if (typeof e === "string") message = e;
      else {
        try { message = stringify(e); } catch (_) { message = undefined; }
        if (typeof message !== "string") message = typeof e === "object" ? "non-serializable value" : StringCtor(e);
      }
      const out = { message: apply(slice, message, [0, 2000]) };
      // a plugin may classify its own failure: { code: "http_status", retryable: true }
      if (e instanceof ErrorCtor) {
        const code = e.code;
        if (typeof code === "string" && code.length > 0 && code.length <= 63) out.pluginCode = code;
        if (e.retryable === true) out.retryable = true;
      }
      return out;
    } catch (_) {
      return { message: "plugin threw an unreadable value" };
    }
  }

  const host = hostFor();
  let invoked = false;
  async function invoke(exportName, inputJson, grantedJson) {
    if (invoked) return done("e" + stringify({ message: "context already used" }));
    invoked = true;
    grantedList = freeze(parse(grantedJson));
    let value;
    try {
      const def = G.plugin;
      const caps = def === null || def === undefined ? undefined : def.capabilities;
      const cap = caps !== null && typeof caps === "object" && apply(hasOwn, caps, [exportName]) ? caps[exportName] : undefined;
      if (cap === null || typeof cap !== "object" || typeof cap.run !== "function") {
        return done("e" + stringify({ message: "plugin does not define capability " + exportName }));
      }
      value = await cap.run(parse(inputJson), host);
    } catch (e) {
      return done("e" + stringify(describe(e)));
    }
    let json;
    try { json = stringify(value === undefined ? null : value); } catch (e) {
      return done("e" + stringify({ message: "return value is not JSON: " + describe(e).message }));
    }
    if (typeof json !== "string") json = "null";
    if (json.length > maxOutputChars) return done("x" + json.length);
    return done("v" + json);
  }

  return function enter(op, a, b, c) {
    if (op === 1) invoke(a, b, c); // its promise stays here: the envelope goes through done
    else if (op === 2) settle(a, b);
  };
})`;
