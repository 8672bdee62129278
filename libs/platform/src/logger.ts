import pino, { type Logger } from 'pino';
import { type FeedwerkConfig } from './config';

/**
 * JSON logs (pino). Credentials and personal fields are redacted at the logger, so no call site can
 * leak them by accident.
 */
export function createLogger(config: FeedwerkConfig, app: string): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: { app, pid: process.pid },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-admin-key"]',
        'apiKey',
        '*.apiKey',
        'email',
        '*.email',
      ],
      censor: '[redacted]',
    },
  });
}
