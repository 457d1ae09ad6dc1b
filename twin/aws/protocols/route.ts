/**
 * Picks the service and protocol codec for a request, the way one endpoint can serve every client:
 * the SigV4 signing name in the `Authorization` credential scope (or a presigned URL's
 * `X-Amz-Credential`), then `X-Amz-Target`, then the form's `Action` + `Version`, and S3 for the rest.
 */
import type { ServiceName } from '../contract.js';
import { jsonCodec } from './json.js';
import { awsQueryCodec, ec2QueryCodec } from './query.js';
import { s3Codec } from './restxml-s3.js';
import type { Codec, RawRequest } from './types.js';
import { headerValue } from './types.js';

/** CloudWatch's wire (query) error codes → modelled shape names, for JSON `__type`. */
export const CLOUDWATCH_QUERY_SHAPES: Readonly<Record<string, string>> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  MissingParameter: 'MissingRequiredParameterException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InternalServiceError: 'InternalServiceFault',
  LimitExceeded: 'LimitExceededFault',
  InvalidFormat: 'InvalidFormatFault',
  InvalidParameterInput: 'DashboardInvalidInputError',
};

export const TARGET_PREFIXES: Readonly<Record<string, ServiceName>> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  GraniteServiceVersion20100801: 'monitoring',
  Logs_20140328: 'logs',
  secretsmanager: 'secretsmanager',
  Route53AutoNaming_v20170314: 'servicediscovery',
};

const QUERY_VERSIONS: Readonly<Record<string, ServiceName>> = {
  '2016-11-15': 'ec2',
  '2011-01-01': 'autoscaling',
  '2010-08-01': 'monitoring',
};

const SIGNING_NAMES: ReadonlySet<string> = new Set<ServiceName>([
  'ecs',
  'autoscaling',
  'ec2',
  'monitoring',
  'logs',
  's3',
  'secretsmanager',
  'servicediscovery',
]);

export interface Codecs {
  json: Partial<Record<ServiceName, Codec>>;
  query: Partial<Record<ServiceName, Codec>>;
  s3: Codec;
}

export function createCodecs(): Codecs {
  return {
    json: {
      ecs: jsonCodec({ service: 'ecs', version: '1.1', targetPrefix: 'AmazonEC2ContainerServiceV20141113' }),
      logs: jsonCodec({ service: 'logs', version: '1.1', targetPrefix: 'Logs_20140328' }),
      secretsmanager: jsonCodec({
        service: 'secretsmanager',
        version: '1.1',
        targetPrefix: 'secretsmanager',
        messageKey: 'Message',
      }),
      servicediscovery: jsonCodec({
        service: 'servicediscovery',
        version: '1.1',
        targetPrefix: 'Route53AutoNaming_v20170314',
        messageKey: 'Message',
      }),
      monitoring: jsonCodec({
        service: 'monitoring',
        version: '1.0',
        targetPrefix: 'GraniteServiceVersion20100801',
        queryCompatShapes: CLOUDWATCH_QUERY_SHAPES,
      }),
    },
    query: {
      autoscaling: awsQueryCodec('autoscaling', 'http://autoscaling.amazonaws.com/doc/2011-01-01/'),
      monitoring: awsQueryCodec('monitoring', 'http://monitoring.amazonaws.com/doc/2010-08-01/'),
      ec2: ec2QueryCodec(),
    },
    s3: s3Codec(),
  };
}

/** The SigV4 signing name, if the request is signed. */
export function signingName(req: Pick<RawRequest, 'headers' | 'query'>): ServiceName | undefined {
  const auth = headerValue(req.headers, 'authorization') ?? '';
  let scope = /Credential=([^,\s]+)/.exec(auth)?.[1];
  scope ??= req.query.get('X-Amz-Credential') ?? undefined;
  const name = scope?.split('/')[3];
  return name !== undefined && SIGNING_NAMES.has(name) ? (name as ServiceName) : undefined;
}

export type Route =
  | { kind: 'codec'; codec: Codec }
  /** Nothing serves this request; answer in the style the request used. */
  | { kind: 'unroutable'; style: 'json' | 'query'; message: string };

function isForm(req: RawRequest): boolean {
  return (headerValue(req.headers, 'content-type') ?? '').toLowerCase().includes('x-www-form-urlencoded');
}

export function route(req: RawRequest, codecs: Codecs): Route {
  const signer = signingName(req);
  if (signer === 's3') return { kind: 'codec', codec: codecs.s3 };
  const target = headerValue(req.headers, 'x-amz-target');
  if (target !== undefined) {
    const prefix = target.includes('.') ? target.slice(0, target.lastIndexOf('.')) : target;
    const service = TARGET_PREFIXES[prefix] ?? signer;
    const codec = service !== undefined ? codecs.json[service] : undefined;
    if (codec) return { kind: 'codec', codec };
    return { kind: 'unroutable', style: 'json', message: `Unrecognized target: ${target}` };
  }
  if (req.method === 'POST' && req.rawPath.startsWith('/service/')) {
    return {
      kind: 'unroutable',
      style: 'json',
      message: 'The Smithy RPC v2 CBOR protocol is not served by the twin.',
    };
  }
  const form = isForm(req);
  if (form || req.query.has('Action')) {
    let service: ServiceName | undefined = signer;
    if (service === undefined || !codecs.query[service]) {
      const params = form ? new URLSearchParams(req.body.toString('utf8')) : req.query;
      service = QUERY_VERSIONS[params.get('Version') ?? req.query.get('Version') ?? ''];
    }
    const codec = service !== undefined ? codecs.query[service] : undefined;
    if (codec) return { kind: 'codec', codec };
    if (signer !== undefined && codecs.json[signer]) return { kind: 'codec', codec: codecs.json[signer] };
    return {
      kind: 'unroutable',
      style: 'query',
      message: 'Could not tell the service from the signing name or the Version parameter.',
    };
  }
  if (signer !== undefined) {
    const codec = codecs.json[signer] ?? codecs.query[signer];
    if (codec) return { kind: 'codec', codec };
  }
  return { kind: 'codec', codec: codecs.s3 };
}
