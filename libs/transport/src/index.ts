export * from './transport.port';
export * from './in-process.transport';
export * from './kafka.transport';
export * from './envelope.codec';
export * from './public.codec';
export * from './kafka-acls';
export * from './ticker.codec';
