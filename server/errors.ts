// Errors that may reach the browser carry a whitelisted code; everything else becomes "internal".
import type { ErrorCode } from '../common/protocol.js';

export class LabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly step?: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}
