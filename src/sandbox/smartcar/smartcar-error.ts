/** Smartcar's v2 error body, with the resolution a client should act on. */
import type { FastifyReply } from 'fastify';

const RESOLUTION: Record<string, 'RETRY_LATER' | 'REAUTHENTICATE' | 'CONTACT_SUPPORT' | null> = {
  AUTHENTICATION: 'REAUTHENTICATE',
  PERMISSION: 'REAUTHENTICATE',
  RATE_LIMIT: 'RETRY_LATER',
  VEHICLE_STATE: 'RETRY_LATER',
  SERVER: 'RETRY_LATER',
  UPSTREAM: 'RETRY_LATER',
  BILLING: 'CONTACT_SUPPORT',
};

export function sendSmartcarError(
  reply: FastifyReply,
  error: { status: number; type: string; code: string | null; description: string; suggestedUserMessage?: string },
): FastifyReply {
  const requestId = String(reply.request.id);
  return reply
    .code(error.status)
    .header('sc-request-id', requestId)
    .send({
      type: error.type,
      code: error.code,
      description: error.description,
      docURL: `https://smartcar.com/docs/errors/api-errors/${error.type.toLowerCase().replace(/_/g, '-')}-errors`,
      statusCode: error.status,
      requestId,
      resolution: { type: RESOLUTION[error.type] ?? null },
      ...(error.suggestedUserMessage ? { suggestedUserMessage: error.suggestedUserMessage } : {}),
    });
}
