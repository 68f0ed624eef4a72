/** Pyaiot MQTT node and gateway (seed 004, upstream 41dbe98), protocol reference shared/protocols/pyaiot.md. */
export * from './topics';
export * from './node';
export * from './gateway';
