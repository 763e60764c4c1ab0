// Creates a bucket on the S3-compatible server at $S3_ENDPOINT (start.sh's local one, whose
// credentials start.sh puts in the environment); an existing one is fine.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const client = new S3Client({
  endpoint: process.env.S3_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
});
try {
  await client.send(new CreateBucketCommand({ Bucket: process.argv[2] }));
} catch (error) {
  if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(error.name)) throw error;
}
