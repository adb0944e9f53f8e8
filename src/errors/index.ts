export * from './reason-codes';
export * from './modelgate-error';
