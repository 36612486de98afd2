"""A delivery simulation that behaves as AWS may: the pipeline's domain run against port-level
stand-ins for S3, SQS, Lambda, DynamoDB (with streams), EventBridge Scheduler and CloudFront, each as
unkind as AWS's documentation allows. `world.World` puts them together; `reference` is the
independent model the property test compares the site with."""
