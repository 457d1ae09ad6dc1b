/**
 * Each service's own validation errors, as the real services send them: EC2 answers
 * `InvalidParameterValue` / `MissingParameter`, Auto Scaling `ValidationError`, ECS
 * `InvalidParameterException` (and `ClientException` for task definition content).
 */
import { AwsError } from '../../contract.js';
import { Reader } from './util.js';

export const ec2Invalid = (msg: string): AwsError => new AwsError('InvalidParameterValue', msg);
export const ec2Missing = (name: string): AwsError =>
  new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
export const ec2Reader = (input: unknown): Reader => Reader.of(input, ec2Invalid, ec2Missing);
export const ec2BadToken = (): AwsError =>
  new AwsError('InvalidNextToken', 'The specified NextToken is not valid.');
export const ec2UnknownFilter = (name: string): AwsError =>
  new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);

export const asgInvalid = (msg: string): AwsError => new AwsError('ValidationError', msg);
export const asgMissing = (name: string): AwsError =>
  new AwsError(
    'ValidationError',
    `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
  );
export const asgReader = (input: unknown): Reader => Reader.of(input, asgInvalid, asgMissing);
export const asgBadToken = (): AwsError => new AwsError('InvalidNextToken', 'The token provided is invalid.');

export const ecsInvalid = (msg: string): AwsError => new AwsError('InvalidParameterException', msg);
export const ecsMissing = (name: string): AwsError =>
  new AwsError(
    'InvalidParameterException',
    `${name.charAt(0).toLowerCase()}${name.slice(1)} can not be blank.`,
  );
export const ecsReader = (input: unknown): Reader => Reader.of(input, ecsInvalid, ecsMissing);
export const ecsClient = (msg: string): AwsError => new AwsError('ClientException', msg);
export const ecsBadToken = (): AwsError => new AwsError('InvalidParameterException', 'Invalid nextToken.');
