// The other terminals beside the container's shell (a gVisor sandbox, a shell on the shared VM):
// each has its own stream and flow control, as term:* has. Input for a tab that is not open goes nowhere.
import type { Handlers } from '../connection.js';

export function sidetermHandlers(): Handlers<'sideterm:open' | 'sideterm:input' | 'sideterm:resize' | 'sideterm:ack' | 'sideterm:close'> {
  return {
    'sideterm:open': (req, conn) => {
      conn.started();
      return conn.sideTerminals().openTerminal(req.target, { cols: req.cols, rows: req.rows });
    },
    'sideterm:input': (req, conn) => {
      conn.started();
      conn.existingSideTerminals()?.input(req.target, req.data);
    },
    'sideterm:resize': (req, conn) => {
      conn.started();
      conn.existingSideTerminals()?.resize(req.target, { cols: req.cols, rows: req.rows });
    },
    'sideterm:ack': (req, conn) => {
      conn.started();
      conn.existingSideTerminals()?.ack(req.target, req.bytes);
    },
    'sideterm:close': (req, conn) => {
      conn.started();
      conn.existingSideTerminals()?.close(req.target);
      return null;
    },
  };
}
