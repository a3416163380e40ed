// The stand-in Zendesk ticket page: answers the sidebar app's ZAF calls and forwards its requests
// to the service through /preview/proxy, which signs them like the Zendesk proxy would.
(() => {
  const page = document.getElementById('preview-data');
  const ticket = JSON.parse(page.textContent);
  const frame = document.getElementById('app-frame');
  const notes = document.getElementById('internal-notes');

  const values = {
    'ticket.requester.email': ticket.email,
    'ticket.requester.name': ticket.requesterName,
    'ticket.id': ticket.id,
    currentUser: { name: ticket.agent, email: ticket.agentEmail, locale: ticket.locale },
  };

  function answer(id, ok, value) {
    frame.contentWindow.postMessage({ mintdeskPreviewAnswer: true, id, ok, value }, window.location.origin);
  }

  function addNote(body) {
    const item = document.createElement('article');
    item.className = 'comment comment--internal';
    const header = document.createElement('header');
    header.textContent = `${ticket.agent} · internal note`;
    const text = document.createElement('p');
    text.textContent = body;
    item.append(header, text);
    notes.append(item);
  }

  async function request(options) {
    const url = new URL(options.url, window.location.origin);
    if (url.pathname.startsWith('/api/v2/tickets/') && options.type === 'PUT') {
      const body = JSON.parse(options.data || '{}');
      const comment = body.ticket && body.ticket.comment;
      if (comment && comment.public === false) addNote(comment.body);
      return { ticket: { id: ticket.id } };
    }
    const response = await fetch('/preview/proxy', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: url.href,
        type: options.type || 'GET',
        data: options.data,
        headers: options.headers || {},
      }),
    });
    const proxied = await response.json();
    let json;
    try {
      json = proxied.body ? JSON.parse(proxied.body) : undefined;
    } catch {
      json = undefined;
    }
    if (proxied.status >= 200 && proxied.status < 300) return json === undefined ? proxied.body : json;
    throw { status: proxied.status, responseText: proxied.body, responseJSON: json };
  }

  window.addEventListener('message', async (event) => {
    if (event.origin !== window.location.origin || event.source !== frame.contentWindow) return;
    const message = event.data;
    if (!message || message.mintdeskPreview !== true) return;
    try {
      switch (message.method) {
        case 'hello':
          return answer(message.id, true, {});
        case 'get': {
          const result = {};
          for (const path of message.payload) result[path] = values[path];
          return answer(message.id, true, result);
        }
        case 'metadata':
          return answer(message.id, true, { settings: { serverUrl: window.location.origin } });
        case 'context':
          return answer(message.id, true, {
            account: { subdomain: 'preview' },
            ticketId: ticket.id,
            location: 'ticket_sidebar',
            product: 'support',
          });
        case 'invoke': {
          const { name, args } = message.payload;
          if (name === 'resize' && args[0] && args[0].height) frame.style.height = args[0].height;
          return answer(message.id, true, {});
        }
        case 'request':
          return answer(message.id, true, await request(message.payload));
        default:
          return answer(message.id, false, { status: 0, responseText: `unknown ZAF call ${message.method}` });
      }
    } catch (error) {
      answer(
        message.id,
        false,
        error && typeof error === 'object' && 'status' in error ? error : { status: 0, responseText: String(error) },
      );
    }
  });
})();
