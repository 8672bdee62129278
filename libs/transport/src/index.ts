export * from './transport.port';
export * from './in-process.transport';
export * from './kafka.transport';
export * from './envelope.codec';
export * from './public.codec';
export * from './ticker.codec';
