//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// An AWS managed policy (`arn:aws:iam::aws:policy/…`): the same in every account, read-only.
struct AWSManagedPolicy: Sendable {
    var name: String
    var id: String
    var path: String
    var versionId: String
    var description: String
    var createDate: Date
    var updateDate: Date
    var document: String

    var arn: String { "arn:aws:iam::aws:policy\(path)\(name)" }
}

/// The AWS managed policies Nimbus offers, with the documents of AWS's managed policy reference
/// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/).
///
/// `ReadOnlyAccess` and `SecurityAudit` list thousands of actions in AWS; here they keep their real
/// structure and statement ids but their action lists are trimmed to the services Nimbus has (IAM,
/// STS, S3, KMS, CloudTrail, EC2) plus a representative set of others.
enum AWSManagedPolicies {
    static let all: [AWSManagedPolicy] = [
        AWSManagedPolicy(
            name: "AdministratorAccess", id: "ANPAIWMBCKSKIEE64ZLYK", path: "/", versionId: "v1",
            description: "Provides full access to AWS services and resources.",
            createDate: date(1_423_248_000), updateDate: date(1_423_248_000),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Action": "*",
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "PowerUserAccess", id: "ANPAJYRXTHIB4FOVS3ZXS", path: "/", versionId: "v12",
            description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
            createDate: date(1_423_247_940), updateDate: date(1_770_919_140),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "NotAction": [
                        "iam:*",
                        "organizations:*",
                        "account:*"
                      ],
                      "Resource": "*"
                    },
                    {
                      "Effect": "Allow",
                      "Action": [
                        "account:GetAccountInformation",
                        "account:GetGovCloudAccountInformation",
                        "account:GetPrimaryEmail",
                        "account:ListRegions",
                        "iam:CreateServiceLinkedRole",
                        "iam:DeleteServiceLinkedRole",
                        "iam:ListRoles",
                        "organizations:DescribeEffectivePolicy",
                        "organizations:DescribeOrganization"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "ReadOnlyAccess", id: "ANPAILL3HVNFSB6DCOWYQ", path: "/", versionId: "v120",
            description: "Provides read-only access to AWS services and resources.",
            createDate: date(1_423_247_940), updateDate: date(1_735_689_600),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Sid": "ReadOnlyActions",
                      "Effect": "Allow",
                      "Action": [
                        "acm:Describe*",
                        "acm:Get*",
                        "acm:List*",
                        "autoscaling:Describe*",
                        "cloudformation:Describe*",
                        "cloudformation:Get*",
                        "cloudformation:List*",
                        "cloudfront:Get*",
                        "cloudfront:List*",
                        "cloudtrail:Describe*",
                        "cloudtrail:Get*",
                        "cloudtrail:List*",
                        "cloudtrail:LookupEvents",
                        "cloudwatch:Describe*",
                        "cloudwatch:Get*",
                        "cloudwatch:List*",
                        "dynamodb:BatchGet*",
                        "dynamodb:Describe*",
                        "dynamodb:Get*",
                        "dynamodb:List*",
                        "dynamodb:Query",
                        "dynamodb:Scan",
                        "ec2:Describe*",
                        "ec2:Get*",
                        "ec2:SearchTransitGatewayRoutes",
                        "ecr:BatchCheck*",
                        "ecr:BatchGet*",
                        "ecr:Describe*",
                        "ecr:Get*",
                        "ecr:List*",
                        "ecs:Describe*",
                        "ecs:List*",
                        "eks:Describe*",
                        "eks:List*",
                        "elasticloadbalancing:Describe*",
                        "events:Describe*",
                        "events:List*",
                        "iam:Generate*",
                        "iam:Get*",
                        "iam:List*",
                        "iam:Simulate*",
                        "kms:Describe*",
                        "kms:Get*",
                        "kms:List*",
                        "lambda:Get*",
                        "lambda:List*",
                        "logs:Describe*",
                        "logs:FilterLogEvents",
                        "logs:Get*",
                        "logs:ListTagsLogGroup",
                        "logs:StartQuery",
                        "logs:StopQuery",
                        "logs:TestMetricFilter",
                        "organizations:Describe*",
                        "organizations:List*",
                        "rds:Describe*",
                        "rds:List*",
                        "route53:Get*",
                        "route53:List*",
                        "s3:DescribeJob",
                        "s3:Get*",
                        "s3:List*",
                        "secretsmanager:Describe*",
                        "secretsmanager:GetResourcePolicy",
                        "secretsmanager:List*",
                        "sns:Check*",
                        "sns:Get*",
                        "sns:List*",
                        "sqs:Get*",
                        "sqs:List*",
                        "sqs:Receive*",
                        "ssm:Describe*",
                        "ssm:Get*",
                        "ssm:List*",
                        "sts:GetAccessKeyInfo",
                        "sts:GetCallerIdentity",
                        "sts:GetSessionToken",
                        "tag:Get*"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "IAMFullAccess", id: "ANPAI7XKCFMBPM3QQRRVQ", path: "/", versionId: "v2",
            description: "Provides full access to IAM via the AWS Management Console.",
            createDate: date(1_423_248_000), updateDate: date(1_591_812_000),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Action": [
                        "iam:*",
                        "organizations:DescribeAccount",
                        "organizations:DescribeOrganization",
                        "organizations:DescribeOrganizationalUnit",
                        "organizations:DescribePolicy",
                        "organizations:ListChildren",
                        "organizations:ListParents",
                        "organizations:ListPoliciesForTarget",
                        "organizations:ListRoots",
                        "organizations:ListPolicies",
                        "organizations:ListTargetsForPolicy"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "IAMReadOnlyAccess", id: "ANPAJKSO7NDY4T57MWDSQ", path: "/", versionId: "v4",
            description: "Provides read only access to IAM via the AWS Management Console.",
            createDate: date(1_423_248_000), updateDate: date(1_591_812_000),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Action": [
                        "iam:GenerateCredentialReport",
                        "iam:GenerateServiceLastAccessedDetails",
                        "iam:Get*",
                        "iam:List*",
                        "iam:SimulateCustomPolicy",
                        "iam:SimulatePrincipalPolicy"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "AmazonS3FullAccess", id: "ANPAIFIR6V6BVTRAHWINE", path: "/", versionId: "v2",
            description: "Provides full access to all buckets via the AWS Management Console.",
            createDate: date(1_423_248_000), updateDate: date(1_632_355_200),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Action": [
                        "s3:*",
                        "s3-object-lambda:*"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "AmazonS3ReadOnlyAccess", id: "ANPAIZTJ4DXE7G6AGAE6M", path: "/", versionId: "v3",
            description: "Provides read only access to all buckets via the AWS Management Console.",
            createDate: date(1_423_248_000), updateDate: date(1_691_712_000),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Action": [
                        "s3:Get*",
                        "s3:List*",
                        "s3:Describe*",
                        "s3-object-lambda:Get*",
                        "s3-object-lambda:List*"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "AWSKeyManagementServicePowerUser", id: "ANPAJNPP7PPPPMJRV2SA4", path: "/", versionId: "v2",
            description: "Provides access to AWS Key Management Service (KMS).",
            createDate: date(1_423_248_000), updateDate: date(1_488_848_100),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Action": [
                        "kms:CreateAlias",
                        "kms:CreateKey",
                        "kms:DeleteAlias",
                        "kms:Describe*",
                        "kms:GenerateRandom",
                        "kms:Get*",
                        "kms:List*",
                        "kms:TagResource",
                        "kms:UntagResource",
                        "iam:ListGroups",
                        "iam:ListRoles",
                        "iam:ListUsers"
                      ],
                      "Resource": "*"
                    }
                  ]
                }
                """#
        ),
        AWSManagedPolicy(
            name: "SecurityAudit", id: "ANPAIX2T3QCXHR2OGGCTO", path: "/", versionId: "v40",
            description: "The security audit template grants access to read security configuration metadata.",
            createDate: date(1_423_248_000), updateDate: date(1_735_689_600),
            document: #"""
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Effect": "Allow",
                      "Resource": "*",
                      "Action": [
                        "acm:Describe*",
                        "acm:List*",
                        "autoscaling:Describe*",
                        "cloudformation:DescribeStack*",
                        "cloudformation:GetTemplate",
                        "cloudformation:ListStack*",
                        "cloudfront:Get*",
                        "cloudfront:List*",
                        "cloudtrail:DescribeTrails",
                        "cloudtrail:GetEventSelectors",
                        "cloudtrail:GetTrail",
                        "cloudtrail:GetTrailStatus",
                        "cloudtrail:ListTags",
                        "cloudtrail:ListTrails",
                        "cloudtrail:LookupEvents",
                        "cloudwatch:Describe*",
                        "config:Deliver*",
                        "config:Describe*",
                        "config:Get*",
                        "config:List*",
                        "dynamodb:DescribeTable",
                        "dynamodb:ListTables",
                        "ec2:Describe*",
                        "ec2:GetEbsEncryptionByDefault",
                        "ecr:DescribeRepositories",
                        "ecr:GetRepositoryPolicy",
                        "ecs:Describe*",
                        "ecs:List*",
                        "eks:DescribeCluster",
                        "eks:ListClusters",
                        "elasticloadbalancing:Describe*",
                        "guardduty:Get*",
                        "guardduty:List*",
                        "iam:GenerateCredentialReport",
                        "iam:GenerateServiceLastAccessedDetails",
                        "iam:Get*",
                        "iam:List*",
                        "iam:SimulateCustomPolicy",
                        "iam:SimulatePrincipalPolicy",
                        "kms:Describe*",
                        "kms:Get*",
                        "kms:List*",
                        "lambda:GetFunctionUrlConfig",
                        "lambda:GetLayerVersionPolicy",
                        "lambda:GetPolicy",
                        "lambda:List*",
                        "logs:Describe*",
                        "logs:ListTagsLogGroup",
                        "organizations:Describe*",
                        "organizations:List*",
                        "rds:Describe*",
                        "rds:DownloadDBLogFilePortion",
                        "rds:ListTagsForResource",
                        "route53:Get*",
                        "route53:List*",
                        "s3:Describe*",
                        "s3:GetAccelerateConfiguration",
                        "s3:GetAccessPoint",
                        "s3:GetAccountPublicAccessBlock",
                        "s3:GetAnalyticsConfiguration",
                        "s3:GetBucket*",
                        "s3:GetEncryptionConfiguration",
                        "s3:GetInventoryConfiguration",
                        "s3:GetLifecycleConfiguration",
                        "s3:GetMetricsConfiguration",
                        "s3:GetObjectAcl",
                        "s3:GetObjectVersionAcl",
                        "s3:GetReplicationConfiguration",
                        "s3:ListAccessPoints",
                        "s3:ListAllMyBuckets",
                        "secretsmanager:DescribeSecret",
                        "secretsmanager:GetResourcePolicy",
                        "secretsmanager:ListSecrets",
                        "sns:GetTopicAttributes",
                        "sns:ListSubscriptions*",
                        "sns:ListTopics",
                        "sqs:GetQueueAttributes",
                        "sqs:ListQueues",
                        "ssm:Describe*",
                        "ssm:ListDocuments",
                        "sts:GetAccessKeyInfo",
                        "tag:GetResources",
                        "tag:GetTagKeys"
                      ]
                    },
                    {
                      "Effect": "Allow",
                      "Action": [
                        "apigateway:HEAD",
                        "apigateway:GET",
                        "apigateway:OPTIONS"
                      ],
                      "Resource": [
                        "arn:aws:apigateway:*::/restapis",
                        "arn:aws:apigateway:*::/restapis/*/authorizers",
                        "arn:aws:apigateway:*::/restapis/*/authorizers/*",
                        "arn:aws:apigateway:*::/restapis/*/resources",
                        "arn:aws:apigateway:*::/restapis/*/resources/*",
                        "arn:aws:apigateway:*::/restapis/*/resources/*/methods/*",
                        "arn:aws:apigateway:*::/vpclinks"
                      ]
                    }
                  ]
                }
                """#
        ),
    ]

    /// By policy name (AWS managed policy names are unique).
    static let byName: [String: AWSManagedPolicy] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private static func date(_ epoch: TimeInterval) -> Date { Date(timeIntervalSince1970: epoch) }
}
