// Entry point of the Cumulocity test simulator (§11) and its test helpers.
export { CumulocitySimulator, type SimOptions, type RegistrationState } from './simulator';
export type { SimAlarm, SimDevice, SimEvent, SimMeasurement, SimOperation, SimSeries, OperationStatus } from './model';
export type { ConnectionRecord, Received, Sent } from './broker';
export type { TlsOptions } from './listeners';
export { encodeRecord, encodeRecords, decodeRecords, type DecodedRecord } from './csv';
export { createTestPki, type Pem, type TestPki } from './certs';
export { ClientPool, closed, delay, eventually, grants, inbox, type Inbox } from './clients';
export { codes, creds, device, publish, rawConnack, silentSession, withSim, type Body } from './harness';
