// stash-harness: the run's stash for pages. Served at /harness/stash.js.
//
//   <script src="/harness/stash.js"></script>
//   const key = HarnessStash.uuid();
//   await stash.put(key, {seen: true});               // path: this page's path
//   const value = await stash.take(key, {timeout: 5});  // null if nothing came
//   await stash.table("events").append("log", "loaded");
//
// A page on another origin loads the script from the harness and passes a capability
// made by the Python test: new HarnessStash({capability: token}).
// bytes travel as Uint8Array; everything else as JSON.
(function (global) {
  "use strict";

  const script = document.currentScript;
  const scriptBase = script && script.src ? new URL(script.src).origin : global.location.origin;

  function encode(value) {
    if (value instanceof ArrayBuffer) value = new Uint8Array(value);
    if (ArrayBuffer.isView(value)) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      }
      return {$bytes: btoa(text)};
    }
    if (Array.isArray(value)) return value.map(encode);
    if (value !== null && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = encode(v);
      return out;
    }
    return value;
  }

  function decode(value) {
    if (Array.isArray(value)) return value.map(decode);
    if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === "$bytes") {
        return Uint8Array.from(atob(value.$bytes), (c) => c.charCodeAt(0));
      }
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = decode(v);
      return out;
    }
    return value;
  }

  class StashRefused extends Error {
    constructor(status, message) {
      super(`stash: ${status}: ${message}`);
      this.name = "StashRefused";
      this.status = status;
    }
  }

  class HarnessStash {
    // options: base (the harness origin; default: where this script came from),
    // path (default: this page's path), capability (a token from stash.capability()).
    constructor(options = {}) {
      this.base = options.base || scriptBase;
      this.path = options.path || global.location.pathname;
      this.capability = options.capability || null;
    }

    static uuid() {
      return crypto.randomUUID();
    }

    at(path) {
      return new HarnessStash({base: this.base, path, capability: this.capability});
    }

    async call(op, fields) {
      const body = Object.assign({op}, fields);
      if (this.capability) body.cap = this.capability;
      // text/plain keeps this a "simple" CORS request: no preflight.
      const reply = await fetch(this.base + "/harness/stash", {
        method: "POST",
        body: JSON.stringify(body),
        headers: {"Content-Type": "text/plain;charset=UTF-8"},
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
      });
      const data = await reply.json().catch(() => ({}));
      if (!reply.ok) {
        throw new StashRefused(reply.status, (data.error && data.error.message) || reply.statusText);
      }
      return data;
    }

    async put(key, value, {ttl, path} = {}) {
      await this.call("put", {path: path || this.path, key, value: encode(value), ttl});
    }

    async take(key, {timeout, path} = {}) {
      const data = await this.call("take", {path: path || this.path, key, timeout});
      return data.found ? decode(data.value) : null;
    }

    table(name) {
      const stash = this;
      const call = (op, fields = {}) => stash.call("table." + op, Object.assign({table: name}, fields));
      return {
        name,
        async get(key, fallback = undefined) {
          const data = await call("get", {key});
          return data.found ? decode(data.value) : fallback;
        },
        async has(key) {
          return (await call("get", {key})).found;
        },
        async set(key, value, {ttl} = {}) {
          await call("set", {key, value: encode(value), ttl});
        },
        async add(key, value, {ttl} = {}) {
          return (await call("add", {key, value: encode(value), ttl})).ok;
        },
        async delete(key) {
          return (await call("delete", {key})).found;
        },
        async pop(key, fallback = undefined) {
          const data = await call("pop", {key});
          return data.found ? decode(data.value) : fallback;
        },
        async append(key, item, {ttl} = {}) {
          return (await call("append", {key, item: encode(item), ttl})).length;
        },
        async keys(pattern = "*") {
          return (await call("keys", {pattern})).keys;
        },
        async items(pattern = "*") {
          return (await call("items", {pattern})).items.map(([k, v]) => [k, decode(v)]);
        },
        async size() {
          return (await call("len")).length;
        },
        async clear() {
          return (await call("clear")).count;
        },
      };
    }
  }

  global.HarnessStash = HarnessStash;
  global.StashRefused = StashRefused;
  global.stash = new HarnessStash();
})(globalThis);
