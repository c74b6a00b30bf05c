// Errors that may reach the browser carry a whitelisted code; everything else becomes "internal".
import type { ErrorCode, FieldIssue } from '../../common/protocol.js';

export class LabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly step?: string,
    /** The fields of the request that caused it, for the page to mark. */
    readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = 'LabError';
  }
}
