import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { newDecisionId } from '../audit/decision-id';
import type { DecisionCall, DecisionDeps, DecisionReply } from '../decision/decision-deps';
import { startStages } from '../decision/decision-observer';
import { reject } from '../decision/reject';
import { ReasonCode, RequestError } from '../errors';

/** The path recorded for a request node:http could not parse: there is no path to record. */
export const UNPARSED_PATH = '(unparsed request)';

/**
 * Returns the server's 'clientError' listener. A request node:http cannot parse (headers over its limit, a
 * malformed request line, a client too slow to send its request) is refused like any other request nobody can
 * be held to: a JSON reply with a reason code, recorded (counted, when such requests flood). Without it node
 * answers a bare 400, 408 or 431, and the attempt leaves no trace.
 */
export function clientErrorListener(decision: DecisionDeps): (err: Error, socket: Duplex) => void {
  return (err, socket) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const error = refusalOf(code);
    // A request on this connection is in flight: its route records it (a body cut short by the request timeout
    // is its own 408), so only a pipelined request behind it is recorded here, and not answered, as its reply
    // could start meanwhile (node's own handler drops that connection too).
    const answering = requestInFlight(socket);
    if (answering && code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // Still reading its body, its route has not replied: it is answered here, as node would, and the route
      // records it when the body read fails. A reply already begun is cut off instead.
      if (replyStarted(socket)) {
        socket.destroy();
        return;
      }
      const reason = { code: error.code, message: error.message };
      socket.end(rawReply({ status: error.status, headers: {}, body: { allow: false, reasons: [reason] } }));
      return;
    }
    const call: DecisionCall = {
      decisionId: newDecisionId(),
      receivedAtMs: decision.now(),
      path: UNPARSED_PATH,
      credentials: { authorization: undefined, dpop: [], method: '', target: '' },
      clientAddress: (socket as { remoteAddress?: string }).remoteAddress ?? null,
      body: { ok: false, error },
    };
    void reject(decision, call, { stages: startStages() }, error)
      .then((reply) => {
        if (!answering && socket.writable) socket.end(rawReply(reply));
        else socket.destroy();
      })
      .catch(() => socket.destroy());
  };
}

function refusalOf(code: string | undefined): RequestError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new RequestError(
      ReasonCode.HeadersTooLarge,
      431,
      'the request headers are larger than the 16 KiB the server accepts, all of them together',
    );
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new RequestError(ReasonCode.RequestTimeout, 408, 'the request was not received in time');
  }
  return new RequestError(ReasonCode.BadRequest, 400, 'the request is not valid HTTP/1.1');
}

// The socket's in-flight response is node's own field (_httpMessage), which its default clientError handler
// reads for the same reason.
function requestInFlight(socket: Duplex): boolean {
  return (socket as { _httpMessage?: unknown })._httpMessage != null;
}

function replyStarted(socket: Duplex): boolean {
  return (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
}

// No ServerResponse exists for a request that never parsed: the reply is written on the socket as is.
function rawReply(reply: DecisionReply): string {
  const body = JSON.stringify(reply.body);
  const headers = [
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`,
    'Connection: close',
    'Cache-Control: no-store',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(reply.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}
