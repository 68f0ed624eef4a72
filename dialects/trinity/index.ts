/** Trinity Smart-MQTT (trinpyqtt 0.10.1), protocol reference shared/protocols/trinity.md. */
export * from './topics';
export * from './password';
export * from './grammar';
export * from './encode';
export * from './decode';
export * from './system';
