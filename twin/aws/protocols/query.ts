/**
 * awsQuery (Auto Scaling; CloudWatch's legacy form) and ec2Query (EC2). Both post urlencoded forms
 * naming the operation in `Action`; awsQuery answers `<OpResponse><OpResult>…` with `<member>` lists
 * and errors as `ErrorResponse/Error/{Type,Code,Message}`; ec2Query answers `<OpResponse xmlns=…>`
 * with a lower-case `<requestId>`, `<item>` lists and errors as `Response/Errors/Error/{Code,Message}`.
 */
import { AwsError, type ServiceName, type Wire } from '../contract.js';
import { FormDecodeError, decodeForm, formParams } from './form.js';
import type { Codec, DecodedCall, EncodeMeta, HttpReply, RawRequest } from './types.js';
import { headerValue } from './types.js';
import { XML_DECL, escapeXml, xmlChildren } from './xml.js';

function decodeAction(req: RawRequest, malformedCode: string): DecodedCall {
  let input: Record<string, unknown>;
  try {
    input = decodeForm(formParams(req.query, req.body, headerValue(req.headers, 'content-type')));
  } catch (e) {
    if (e instanceof FormDecodeError) throw new AwsError(malformedCode, e.message);
    throw e;
  }
  const action = input['Action'];
  if (typeof action !== 'string' || action === '') {
    throw new AwsError('MissingAction', 'The request must contain the parameter Action.');
  }
  delete input['Action'];
  delete input['Version'];
  return { operation: action, input };
}

function xmlReply(status: number, body: string, requestId: string): HttpReply {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: XML_DECL + body,
  };
}

function invalidAction(operation: string): AwsError {
  return new AwsError('InvalidAction', `The action ${operation} is not valid for this web service.`);
}

export function awsQueryCodec(service: ServiceName, xmlns: string): Codec {
  return {
    service,
    protocol: 'awsQuery',
    decode: (req) => decodeAction(req, 'MalformedQueryString'),
    encodeResult(operation: string, result: Wire, meta: EncodeMeta): HttpReply {
      // Always the Result wrapper, empty or not: botocore requires it for the empty `…Answer`
      // shapes (SetInstanceProtection, CompleteLifecycleAction, …) and ignores it where the
      // operation has no output.
      const inner = `<${operation}Result>${xmlChildren(result, 'member')}</${operation}Result>`;
      const body =
        `<${operation}Response xmlns="${xmlns}">${inner}` +
        `<ResponseMetadata><RequestId>${escapeXml(meta.requestId)}</RequestId></ResponseMetadata></${operation}Response>`;
      return xmlReply(200, body, meta.requestId);
    },
    encodeError(err: AwsError, _op: string | undefined, meta: EncodeMeta): HttpReply {
      const body =
        `<ErrorResponse xmlns="${xmlns}"><Error><Type>${err.fault}</Type><Code>${escapeXml(err.code)}</Code>` +
        `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${escapeXml(meta.requestId)}</RequestId></ErrorResponse>`;
      return xmlReply(err.status, body, meta.requestId);
    },
    unknownOperation: invalidAction,
  };
}

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function ec2QueryCodec(): Codec {
  return {
    service: 'ec2',
    protocol: 'ec2Query',
    decode: (req) => decodeAction(req, 'InvalidParameterValue'),
    encodeResult(operation: string, result: Wire, meta: EncodeMeta): HttpReply {
      const body =
        `<${operation}Response xmlns="${EC2_XMLNS}"><requestId>${escapeXml(meta.requestId)}</requestId>` +
        `${xmlChildren(result, 'item')}</${operation}Response>`;
      return xmlReply(200, body, meta.requestId);
    },
    encodeError(err: AwsError, _op: string | undefined, meta: EncodeMeta): HttpReply {
      const body =
        `<Response><Errors><Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>` +
        `</Error></Errors><RequestID>${escapeXml(meta.requestId)}</RequestID></Response>`;
      return xmlReply(err.status, body, meta.requestId);
    },
    unknownOperation: invalidAction,
  };
}
