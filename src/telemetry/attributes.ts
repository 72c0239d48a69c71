/**
 * Attribute names of our spans: OpenTelemetry semantic conventions where one exists (messaging, HTTP, database,
 * error), `oauth_cc.*` for what is ours. Written out rather than imported from @opentelemetry/semantic-conventions,
 * whose entry module holds thousands of names and would be loaded even with tracing off.
 */
export const ATTR = {
  errorType: 'error.type',
  errorKind: 'oauth_cc.error.kind',

  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.type',
  messagingDestination: 'messaging.destination.name',
  messagingMessageId: 'messaging.message.id',

  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  urlFull: 'url.full',
  urlScheme: 'url.scheme',
  serverAddress: 'server.address',
  serverPort: 'server.port',

  dbSystem: 'db.system.name',
  dbCollection: 'db.collection.name',
  dbOperation: 'db.operation.name',

  job: 'oauth_cc.job.name',
  attempt: 'oauth_cc.job.attempt',
  outcome: 'oauth_cc.job.outcome',
  owner: 'oauth_cc.owner',
  connectionId: 'oauth_cc.connection.id',
  connector: 'oauth_cc.connector',
  cacheHit: 'oauth_cc.cache.hit',
  grantType: 'oauth_cc.grant_type',
  tokenHint: 'oauth_cc.token_type_hint',
  renewed: 'oauth_cc.renewal.renewed',
  eventId: 'oauth_cc.event.id',
  eventType: 'oauth_cc.event.type',
  eventCount: 'oauth_cc.event.count',
  sweepEnqueued: 'oauth_cc.sweep.enqueued',
} as const;
