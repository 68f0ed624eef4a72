/** libpyiotcloud device side (seed revision cd5b8ef), protocol reference shared/protocols/libpyiotcloud.md. */
export * from './topics';
export * from './requests';
export * from './encode';
