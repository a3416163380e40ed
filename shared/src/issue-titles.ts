/** Title of the closed tracker issue recording a delivered emergency license. */
export function successTitle(email: string, userCount: number): string {
  return `[Success] - Created a license under ${email} for ${userCount} users`;
}

/** Title of the closed issue recording a delivered transition trial. */
export function transitionSuccessTitle(email: string, userCount: number): string {
  return `[Success] - Created a transition license under ${email} for ${userCount} users`;
}

/** Title of the closed issue recording delivered add-on seats: N added, T in all now. */
export function addonSuccessTitle(email: string, addUsers: number, totalUsers: number): string {
  return `[Success] - Added ${addUsers} users under ${email} (now ${totalUsers} users)`;
}

/** Title of the closed issue recording a delivered order license. */
export function orderSuccessTitle(email: string, userCount: number, orderRef: string): string {
  return `[Success] - Created a license under ${email} for ${userCount} users (order ${orderRef})`;
}

/** Title of the open tracker issue recording a license that could not be created or delivered (every kind). */
export function failureTitle(email: string, userCount: number): string {
  return `[Failure] - Could not create a license under ${email} for ${userCount} users`;
}

/** Title of the open issue of a license that waits for an approver. */
export function approvalNeededTitle(email: string, userCount: number): string {
  return `[Approval needed] - License under ${email} for ${userCount} users`;
}

/** Title of the closed issue of a license an approver turned down. */
export function rejectedTitle(email: string, userCount: number): string {
  return `[Rejected] - License under ${email} for ${userCount} users`;
}
