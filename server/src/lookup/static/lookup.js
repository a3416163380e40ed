// Progressive enhancement for the lookup page: copy to the clipboard and the Resend dialog.
(() => {
  function announce(text) {
    const region = document.querySelector('[role="status"]');
    if (!region) return;
    region.classList.remove('visually-hidden');
    region.className = 'message message--success';
    region.textContent = text;
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'visually-hidden';
      document.body.append(area);
      area.select();
      const copied = document.execCommand('copy');
      area.remove();
      return copied;
    }
  }

  document.addEventListener('click', async (event) => {
    const target = event.target instanceof Element ? event.target.closest('button') : null;
    if (!target) return;
    if (target.dataset.copy !== undefined) {
      const ok = await copy(target.dataset.copy);
      announce(ok ? 'License copied to the clipboard.' : 'Copy failed: download the license instead.');
    } else if (target.dataset.openDialog) {
      const dialog = document.getElementById(target.dataset.openDialog);
      if (dialog && typeof dialog.showModal === 'function') dialog.showModal();
    } else if (target.hasAttribute('data-close-dialog')) {
      target.closest('dialog')?.close();
    }
  });

  // A submitted Resend shows that it is working and cannot be sent twice.
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.action.endsWith('/resend')) return;
    const button = form.querySelector('button[type="submit"]');
    if (button) {
      button.disabled = true;
      button.textContent = 'Resending…';
    }
  });
})();
