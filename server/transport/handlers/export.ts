// "At work": the running container's settings as a docker run line and an OCI config.json.
import type { Handlers } from '../connection.js';

export function exportHandlers(): Handlers<'export:get'> {
  return {
    'export:get': (_none, conn) => conn.started().exports(),
  };
}
