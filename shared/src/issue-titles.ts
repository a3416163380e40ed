/** Title of the closed tracker issue recording a delivered license. */
export function successTitle(email: string, userCount: number): string {
  return `[Success] - Created a license under ${email} for ${userCount} users`;
}

/** Title of the open tracker issue recording a license that could not be created or delivered. */
export function failureTitle(email: string, userCount: number): string {
  return `[Failure] - Could not create a license under ${email} for ${userCount} users`;
}
