// Cross-check of replwatch's Java serde against Confluent's official Node client.
//
// Input (argv[2], JSON written by ConfluentCrossCheckIT): the registry URL, a topic, the schema id the Java
// serializer used, the Java serializer's bytes (hex) for record A, and records A and B as JSON with every long
// as a decimal string (JavaScript numbers cannot hold LSNs above 2^53).
//
// Output (stdout, JSON): A as decoded by Confluent's AvroDeserializer from Java's bytes; B serialized by
// Confluent's AvroSerializer with the subject's latest schema (for Java to decode); and A serialized by
// Confluent's AvroSerializer with Java's schema id (to compare byte for byte).
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import {
  SchemaRegistryClient, AvroSerializer, AvroDeserializer, SerdeType, SubjectNameStrategyType,
} from '@confluentinc/schemaregistry';

// 64-bit longs as BigInt, losslessly, in both directions.
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: (v) => BigInt(v),
  toJSON: (n) => n.toString(),
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
// avsc fills the registry with named types: each parse needs its own.
const avroOpts = () => ({ registry: { long: bigLong } });

// avsc applies the registry's long only to plain "long"; a {"type":"long","logicalType":...} schema (our
// timestamps) stays a JavaScript number, which is exact for epoch millis. Both come from and go to strings.
function isLong(type) {
  return type.typeName === 'long' || type.typeName === 'abstract:long';
}

// Exact JSON (longs as strings) -> values avsc accepts, guided by the schema.
function fromExact(type, v) {
  if (v === null || v === undefined) return null;
  switch (type.typeName) {
    case 'record': {
      const out = {};
      for (const f of type.fields) out[f.name] = fromExact(f.type, v[f.name]);
      return out;
    }
    case 'union:unwrapped': return fromExact(type.types.find((t) => t.typeName !== 'null'), v);
    case 'array': return v.map((x) => fromExact(type.itemsType, x));
    case 'map': return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromExact(type.valuesType, x)]));
    case 'abstract:long': return BigInt(v);
    case 'long': return Number(v);
    default: return v;
  }
}

// Decoded value -> exact JSON, the same shape Java writes, guided by the schema.
function toExact(type, v) {
  if (v === null || v === undefined) return null;
  switch (type.typeName) {
    case 'record':
      return Object.fromEntries(type.fields.map((f) => [f.name, toExact(f.type, v[f.name])]));
    case 'union:unwrapped': return toExact(type.types.find((t) => t.typeName !== 'null'), v);
    case 'array': return v.map((x) => toExact(type.itemsType, x));
    case 'map': return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toExact(type.valuesType, x)]));
    case 'bytes': return v.toString('base64');
    default: return isLong(type) ? v.toString() : v;
  }
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const client = new SchemaRegistryClient({ baseURLs: [input.url] });
const strategy = { subjectNameStrategyType: SubjectNameStrategyType.TOPIC };

const deser = new AvroDeserializer(client, SerdeType.VALUE, { ...avroOpts(), ...strategy });
const decodedA = await deser.deserialize(input.topic, Buffer.from(input.javaBytesA, 'hex'));

const latest = await client.getLatestSchemaMetadata(`${input.topic}-value`);
const type = avro.Type.forSchema(JSON.parse(latest.schema), avroOpts());

const serLatest = new AvroSerializer(client, SerdeType.VALUE,
  { ...avroOpts(), ...strategy, useLatestVersion: true, autoRegisterSchemas: false });
const bytesB = await serLatest.serialize(input.topic, fromExact(type, input.recordB));

const serById = new AvroSerializer(client, SerdeType.VALUE,
  { ...avroOpts(), ...strategy, useSchemaId: input.schemaId, autoRegisterSchemas: false });
const bytesA = await serById.serialize(input.topic, fromExact(type, input.recordA));

process.stdout.write(JSON.stringify({
  latestId: latest.id,
  decodedA: toExact(type, decodedA),
  confluentBytesB: bytesB.toString('hex'),
  confluentBytesA: bytesA.toString('hex'),
}));
