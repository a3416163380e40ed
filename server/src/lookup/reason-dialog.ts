/** A confirmation dialog that asks for a reason before a form posts (Reject, Revoke). */
export interface ReasonDialog {
  /** Element id of the dialog; the opening button names it in `data-open-dialog`. Already HTML-safe. */
  dialogId: string;
  /** Element id of the Reason field. */
  fieldId: string;
  title: string;
  /** What the action does, as HTML (caller text in it already escaped). */
  text: string;
  action: string;
  /** The form's hidden inputs (CSRF token, where to come back to), as HTML. */
  hidden: string;
  /** The confirming button's name, which is also the action's. */
  confirm: string;
}

export function reasonDialog(dialog: ReasonDialog): string {
  const { dialogId: id } = dialog;
  return `<dialog id="${id}" aria-labelledby="${id}-title" class="dialog">
    <h4 id="${id}-title">${dialog.title}</h4>
    <p>${dialog.text}</p>
    <form method="post" action="${dialog.action}" class="stack">
      ${dialog.hidden}
      <div class="field">
        <label for="${dialog.fieldId}">Reason</label>
        <textarea id="${dialog.fieldId}" name="reason" required maxlength="500" rows="3"></textarea>
      </div>
      <div class="dialog__actions">
        <button type="submit" class="button button--danger">${dialog.confirm}</button>
        <button type="button" class="button button--basic" data-close-dialog>Cancel</button>
      </div>
    </form>
  </dialog>`;
}
