// Local stand-in for Zendesk's zaf_sdk.min.js, used only by the /preview page. It speaks to the
// stand-in ticket page (the parent window) with postMessage, the way the real SDK speaks to Zendesk.
(() => {
  const pending = new Map();
  const handlers = new Map();
  let nextId = 1;

  function call(method, payload) {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      window.parent.postMessage({ mintdeskPreview: true, id, method, payload }, window.location.origin);
    });
  }

  window.addEventListener('message', (event) => {
    if (event.origin !== window.location.origin || !event.data || event.data.mintdeskPreviewAnswer !== true) return;
    const { id, ok, value, event: name } = event.data;
    if (name) {
      for (const handler of handlers.get(name) || []) handler(value);
      return;
    }
    const waiter = pending.get(id);
    if (!waiter) return;
    pending.delete(id);
    if (ok) waiter.resolve(value);
    else waiter.reject(value);
  });

  const client = {
    get: (paths) => call('get', Array.isArray(paths) ? paths : [paths]),
    invoke: (name, ...args) => call('invoke', { name, args }),
    request: (options) => call('request', options),
    metadata: () => call('metadata'),
    context: () => call('context'),
    on(name, handler) {
      if (!handlers.has(name)) handlers.set(name, []);
      handlers.get(name).push(handler);
    },
  };

  window.ZAFClient = {
    init() {
      if (window.parent === window) return false;
      call('hello').then(() => {
        for (const handler of handlers.get('app.registered') || []) handler({});
      });
      return client;
    },
  };
})();
