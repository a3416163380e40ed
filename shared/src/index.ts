export * from './error-body.ts';
export * from './issue-titles.ts';
export * from './license-claims.ts';
export * from './license-kinds.ts';
export * from './license-record.ts';
export * from './mint-request.ts';
