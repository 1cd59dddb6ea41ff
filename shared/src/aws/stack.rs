//! A deployed stack, for the command: its outputs (CloudFormation
//! DescribeStacks) and the backfill's executions (Step Functions
//! StartExecution, DescribeExecution).

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_s3::error::ProvideErrorMetadata;

use super::error::port_error;
use crate::ports::PortError;
use crate::validate::backfill::{Execution, Executions, Stacks};

/// CloudFormation and Step Functions clients from the shared configuration.
pub struct StackApi {
    cfn: aws_sdk_cloudformation::Client,
    sfn: aws_sdk_sfn::Client,
}

impl StackApi {
    /// Clients for the configuration's region (the stack's).
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            cfn: aws_sdk_cloudformation::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
        }
    }
}

impl Stacks for StackApi {
    async fn outputs(&self, stack: &str) -> Result<BTreeMap<String, String>, PortError> {
        let resp = match self.cfn.describe_stacks().stack_name(stack).send().await {
            Ok(r) => r,
            // DescribeStacks: a stack that does not exist is a
            // ValidationError "Stack with id NAME does not exist".
            Err(e)
                if e.code() == Some("ValidationError")
                    && e.message().is_some_and(|m| m.contains("does not exist")) =>
            {
                return Err(PortError::NotFound {
                    operation: "DescribeStacks",
                    resource: stack.to_string(),
                    message: e.message().unwrap_or_default().to_string(),
                })
            }
            Err(e) => return Err(port_error("DescribeStacks", stack, &e)),
        };
        Ok(resp
            .stacks()
            .first()
            .map(|s| {
                s.outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((o.output_key()?.to_string(), o.output_value()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Executions for StackApi {
    async fn start(
        &self,
        state_machine: &str,
        name: &str,
        input: &str,
    ) -> Result<String, PortError> {
        let resp = self
            .sfn
            .start_execution()
            .state_machine_arn(state_machine)
            .name(name)
            .input(input)
            .send()
            .await
            .map_err(|e| port_error("StartExecution", state_machine, &e))?;
        Ok(resp.execution_arn().to_string())
    }

    async fn describe(&self, execution: &str) -> Result<Execution, PortError> {
        let r = self
            .sfn
            .describe_execution()
            .execution_arn(execution)
            .send()
            .await
            .map_err(|e| port_error("DescribeExecution", execution, &e))?;
        Ok(Execution {
            status: r.status().as_str().to_string(),
            output: r.output().map(str::to_string),
            error: r.error().map(str::to_string),
            cause: r.cause().map(str::to_string),
        })
    }
}
