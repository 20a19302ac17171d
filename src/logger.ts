import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Field names that could carry secrets or patient data
 * are redacted as a second line of defence; the code never logs them anyway.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'pain-cds' },
      redact: {
        paths: ['authorization', 'access_token', 'token', 'patientId', 'patient', 'req.headers.authorization', '*.access_token', '*.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
