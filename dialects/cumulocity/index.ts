/** Cumulocity IoT SmartREST 2.0 over MQTT: the pure dialect (see the Cumulocity protocol reference). */
export * from './csv';
export * from './encode';
export * from './decode';
export * from './operations';
export * from './topics';
export * from './software';
export * from './token';
