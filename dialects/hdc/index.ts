export * from './commands';
export * from './envelope';
export * from './files';
export * from './methods';
