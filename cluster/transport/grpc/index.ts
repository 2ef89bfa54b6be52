export { GrpcTransport } from './transport.js';
export { TRANSPORT_DEFAULTS } from './options.js';
export type { DropReason, GrpcTransportOptions, RejectReason, TransportHooks, TransportTls } from './options.js';
