/**
 * S3's REST-XML protocol, path style (`/bucket/key`) and, for `<bucket>.localhost` hosts, virtual-hosted
 * style. Decoding maps method + path + sub-resource to an operation and gathers its input from the
 * path, the query string, the headers (`If-Match` → `IfMatch`, `x-amz-meta-*` → `Metadata`, …) and the
 * body (raw bytes for objects; parsed XML for configuration payloads). Encoding puts header-bound
 * members back into headers, a `Buffer` `Body` as the raw body, and anything else as an XML document
 * (lists flattened, as S3 does). Errors are `<Error><Code>…` documents; HEAD and 304 replies have no body.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AwsError, type Wire } from '../contract.js';
import { ChunkedDecodeError, decodeAwsChunked } from './aws-chunked.js';
import type { Codec, DecodedCall, EncodeMeta, HttpReply, RawRequest } from './types.js';
import { DetailedAwsError, headerValue } from './types.js';
import { XML_DECL, escapeXml, xmlChildren } from './xml.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const QUERY_MEMBERS: Readonly<Record<string, string>> = {
  prefix: 'Prefix',
  delimiter: 'Delimiter',
  'max-keys': 'MaxKeys',
  'continuation-token': 'ContinuationToken',
  'start-after': 'StartAfter',
  'encoding-type': 'EncodingType',
  'fetch-owner': 'FetchOwner',
  marker: 'Marker',
  versionId: 'VersionId',
  'key-marker': 'KeyMarker',
  'version-id-marker': 'VersionIdMarker',
  'max-buckets': 'MaxBuckets',
  'bucket-region': 'BucketRegion',
  partNumber: 'PartNumber',
};

const HEADER_MEMBERS: Readonly<Record<string, string>> = {
  'if-match': 'IfMatch',
  'if-none-match': 'IfNoneMatch',
  'if-modified-since': 'IfModifiedSince',
  'if-unmodified-since': 'IfUnmodifiedSince',
  range: 'Range',
  'content-type': 'ContentType',
  'content-md5': 'ContentMD5',
  'cache-control': 'CacheControl',
  'content-disposition': 'ContentDisposition',
  'content-language': 'ContentLanguage',
  expires: 'Expires',
  'x-amz-storage-class': 'StorageClass',
  'x-amz-copy-source': 'CopySource',
  'x-amz-copy-source-if-match': 'CopySourceIfMatch',
  'x-amz-copy-source-if-none-match': 'CopySourceIfNoneMatch',
  'x-amz-metadata-directive': 'MetadataDirective',
  'x-amz-checksum-crc32': 'ChecksumCRC32',
  'x-amz-checksum-crc32c': 'ChecksumCRC32C',
  'x-amz-checksum-sha1': 'ChecksumSHA1',
  'x-amz-checksum-sha256': 'ChecksumSHA256',
  'x-amz-checksum-mode': 'ChecksumMode',
  'x-amz-acl': 'ACL',
  'x-amz-server-side-encryption': 'ServerSideEncryption',
  'x-amz-expected-bucket-owner': 'ExpectedBucketOwner',
};

/** Output members that S3 sends as headers. */
const OUTPUT_HEADERS: Readonly<Record<string, string>> = {
  ETag: 'etag',
  ContentType: 'content-type',
  ContentLength: 'content-length',
  LastModified: 'last-modified',
  VersionId: 'x-amz-version-id',
  DeleteMarker: 'x-amz-delete-marker',
  ContentRange: 'content-range',
  AcceptRanges: 'accept-ranges',
  BucketRegion: 'x-amz-bucket-region',
  Location: 'location',
  CacheControl: 'cache-control',
  ContentDisposition: 'content-disposition',
  ContentEncoding: 'content-encoding',
  ContentLanguage: 'content-language',
  Expires: 'expires',
  StorageClass: 'x-amz-storage-class',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  CopySourceVersionId: 'x-amz-copy-source-version-id',
};

/** XML root element of each operation's output document. */
const OUTPUT_ROOTS: Readonly<Record<string, string>> = {
  ListBuckets: 'ListAllMyBucketsResult',
  ListObjectsV2: 'ListBucketResult',
  ListObjects: 'ListBucketResult',
  ListObjectVersions: 'ListVersionsResult',
  GetBucketVersioning: 'VersioningConfiguration',
  GetBucketLocation: 'LocationConstraint',
  DeleteObjects: 'DeleteResult',
  CopyObject: 'CopyObjectResult',
};

/** Members of XML-document outputs that still travel as headers. */
const XML_OP_HEADERS: Readonly<Record<string, readonly string[]>> = {
  CopyObject: ['VersionId', 'CopySourceVersionId'],
};

/** Operations whose body is an XML document, and the input member it becomes. */
const XML_PAYLOADS: Readonly<Record<string, string>> = {
  CreateBucket: 'CreateBucketConfiguration',
  PutBucketVersioning: 'VersioningConfiguration',
  DeleteObjects: 'Delete',
};

const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'policy',
  'tagging',
  'lifecycle',
  'cors',
  'encryption',
  'website',
  'logging',
  'notification',
  'replication',
  'uploads',
  'uploadId',
  'object-lock',
  'retention',
  'legal-hold',
  'attributes',
  'accelerate',
  'analytics',
  'inventory',
  'metrics',
  'ownershipControls',
  'publicAccessBlock',
  'requestPayment',
  'intelligent-tiering',
  'restore',
  'select',
  'torrent',
];

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  removeNSPrefix: true,
  isArray: (name) => name === 'Object',
  processEntities: true,
  htmlEntities: false,
});

export class S3NotImplemented extends AwsError {
  constructor(what: string) {
    super(
      'NotImplemented',
      `A header or query you provided implies functionality that is not implemented: ${what}`,
      { status: 501 },
    );
  }
}

function notImplementedSub(query: URLSearchParams): string | undefined {
  return UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
}

/** Picks the S3 operation for a request. Throws NotImplemented / MethodNotAllowed. */
export function s3Operation(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  q: URLSearchParams,
  copySource: boolean,
): string {
  const sub = notImplementedSub(q);
  if (sub !== undefined) throw new S3NotImplemented(`?${sub}`);
  if (!bucket) {
    if (method === 'GET') return 'ListBuckets';
    throw methodNotAllowed(method);
  }
  if (key === undefined) {
    switch (method) {
      case 'PUT':
        return q.has('versioning') ? 'PutBucketVersioning' : 'CreateBucket';
      case 'GET':
        if (q.has('versioning')) return 'GetBucketVersioning';
        if (q.has('location')) return 'GetBucketLocation';
        if (q.has('versions')) return 'ListObjectVersions';
        return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        if (q.has('delete')) return 'DeleteObjects';
        throw methodNotAllowed(method);
      default:
        throw methodNotAllowed(method);
    }
  }
  switch (method) {
    case 'PUT':
      return copySource ? 'CopyObject' : 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      throw methodNotAllowed(method);
  }
}

function methodNotAllowed(method: string): AwsError {
  return new AwsError(
    'MethodNotAllowed',
    `The specified method is not allowed against this resource: ${method}`,
    {
      status: 405,
    },
  );
}

/** Splits bucket and key from the host (virtual-hosted style) or the path. */
export function s3Address(rawPath: string, hostname: string): { bucket?: string; key?: string } {
  let path = rawPath;
  let bucket: string | undefined;
  const vhost = /^(.+)\.(?:s3\.)?localhost$/i.exec(hostname);
  if (vhost) bucket = vhost[1];
  else {
    const m = /^\/([^/?]*)(\/.*)?$/.exec(path);
    if (!m) return {};
    bucket = m[1] === '' ? undefined : decode(m[1] as string);
    path = m[2] ?? '';
  }
  if (bucket === undefined) return {};
  if (path === '' || path === '/') return { bucket };
  return { bucket, key: decode(path.slice(1)) };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new AwsError('InvalidURI', "Couldn't parse the specified URI.");
  }
}

function unwrapBody(req: RawRequest): { body: Buffer; trailers: Record<string, string> } {
  const enc = (headerValue(req.headers, 'content-encoding') ?? '').toLowerCase();
  const sha = (headerValue(req.headers, 'x-amz-content-sha256') ?? '').toUpperCase();
  if (!enc.includes('aws-chunked') && !sha.startsWith('STREAMING-')) return { body: req.body, trailers: {} };
  try {
    const { payload, trailers } = decodeAwsChunked(req.body);
    return { body: payload, trailers };
  } catch (e) {
    if (e instanceof ChunkedDecodeError) throw new AwsError('IncompleteBody', e.message);
    throw e;
  }
}

function parseXmlPayload(body: Buffer, member: string): Record<string, unknown> | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  if (XMLValidator.validate(text) !== true) {
    throw new AwsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  }
  const doc = xmlParser.parse(text) as Record<string, unknown>;
  const root = doc[member];
  if (root === undefined) {
    throw new AwsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  }
  return typeof root === 'object' && root !== null ? (root as Record<string, unknown>) : {};
}

function headerString(v: unknown): string {
  if (v instanceof Date) return v.toUTCString();
  return String(v);
}

export function s3Codec(): Codec {
  return {
    service: 's3',
    protocol: 'restXml',
    decode(req: RawRequest): DecodedCall {
      const { bucket, key } = s3Address(req.rawPath, req.hostname);
      const operation = s3Operation(
        req.method,
        bucket,
        key,
        req.query,
        headerValue(req.headers, 'x-amz-copy-source') !== undefined,
      );
      const input: Wire = {};
      if (bucket !== undefined) input['Bucket'] = bucket;
      if (key !== undefined) input['Key'] = key;
      for (const [q, member] of Object.entries(QUERY_MEMBERS)) {
        const v = req.query.get(q);
        if (v !== null) input[member] = v;
      }
      for (const [h, member] of Object.entries(HEADER_MEMBERS)) {
        const v = headerValue(req.headers, h);
        if (v !== undefined) input[member] = v;
      }
      const enc = headerValue(req.headers, 'content-encoding');
      if (enc !== undefined) {
        const rest = enc
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked');
        if (rest.length > 0) input['ContentEncoding'] = rest.join(',');
      }
      const metadata: Record<string, string> = {};
      for (const [h, v] of Object.entries(req.headers)) {
        if (h.startsWith('x-amz-meta-') && v !== undefined)
          metadata[h.slice('x-amz-meta-'.length)] = Array.isArray(v) ? v.join(',') : v;
      }
      if (Object.keys(metadata).length > 0) input['Metadata'] = metadata;
      const { body, trailers } = unwrapBody(req);
      for (const [h, member] of Object.entries(HEADER_MEMBERS)) {
        const v = trailers[h];
        if (v !== undefined) input[member] = v;
      }
      const payloadMember = XML_PAYLOADS[operation];
      if (payloadMember !== undefined) {
        const parsed = parseXmlPayload(body, payloadMember);
        if (parsed !== undefined) input[payloadMember] = parsed;
      } else if (operation === 'PutObject') {
        input['Body'] = body;
      }
      return { operation, input };
    },

    encodeResult(operation: string, result: Wire, meta: EncodeMeta): HttpReply {
      const headers: Record<string, string> = {
        'x-amz-request-id': meta.requestId,
        'x-amz-id-2': meta.requestId,
      };
      const rest: Record<string, unknown> = {};
      let status = 200;
      let body: Buffer | string = '';
      const root = OUTPUT_ROOTS[operation];
      const headerMembers = XML_OP_HEADERS[operation];
      for (const [k, v] of Object.entries(result)) {
        if (v === undefined || v === null) continue;
        const headerName = OUTPUT_HEADERS[k];
        if (k === '$status' && typeof v === 'number') status = v;
        else if (headerName !== undefined && (root === undefined || headerMembers?.includes(k)))
          headers[headerName] = headerString(v);
        else if (root === undefined && k === 'Metadata' && typeof v === 'object') {
          for (const [mk, mv] of Object.entries(v as Record<string, unknown>))
            headers[`x-amz-meta-${mk}`] = String(mv);
        } else if (root === undefined && k === 'Body' && Buffer.isBuffer(v)) body = v;
        else rest[k] = v;
      }
      if (root !== undefined) {
        // A document whose root holds text (GetBucketLocation: <LocationConstraint>us-west-2</…>).
        const text = rest[root];
        const inner =
          Object.keys(rest).length === 1 && typeof text === 'string'
            ? escapeXml(text)
            : xmlChildren(rest, 'flat');
        body = `${XML_DECL}<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`;
        headers['content-type'] = 'application/xml';
      }
      if (meta.method === 'HEAD' || status === 204 || status === 304) body = '';
      return { status, headers, body };
    },

    encodeError(err: AwsError, _op: string | undefined, meta: EncodeMeta): HttpReply {
      const headers: Record<string, string> = {
        'x-amz-request-id': meta.requestId,
        'x-amz-id-2': meta.requestId,
      };
      let details = '';
      if (err instanceof DetailedAwsError) {
        Object.assign(headers, err.headers);
        for (const [k, v] of Object.entries(err.details)) details += `<${k}>${escapeXml(v)}</${k}>`;
      }
      if (meta.method === 'HEAD' || err.status === 304) return { status: err.status, headers, body: '' };
      headers['content-type'] = 'application/xml';
      const body =
        `${XML_DECL}<Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>${details}` +
        `<RequestId>${escapeXml(meta.requestId)}</RequestId><HostId>${escapeXml(meta.requestId)}</HostId></Error>`;
      return { status: err.status, headers, body };
    },

    unknownOperation(operation: string): AwsError {
      return new S3NotImplemented(operation);
    },
  };
}
