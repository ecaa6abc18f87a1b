//! [`WriteService`]: creates pages and rows, appends Markdown.

use std::collections::BTreeMap;

use crate::app::AppContext;
use crate::connect::{TokenError, TokenManager};
use crate::domain::ConnectionId;
use crate::markdown::{
    Append, BlockRef, CreationPlan, ExecuteError, PlanOptions, PlanProgress, Warning, execute,
    plan_requests, plan_requests_with, to_blocks,
};
use crate::notion::NotionError;
use crate::notion::client::CreatePageRequest;
use crate::notion::model::{FileObject, Icon, PropertyValue};

use super::appender::{AppendError, Checkpoint, NotionAppender, log_summary, write_maybe_applied};
use super::error::WriteError;
use super::idempotency::{IdempotencyKey, IdempotencyRecord, RecordState, body_hash, validate_key};
use super::input::{AppendOutcome, CreatePageInput, CreatedPage, ParentInput, WriteWarning};
use super::parent::{ResolvedParent, not_found_is_invalid, notion_id, resolve};
use super::properties::{http_url, request_bytes_bound, row_properties, text_items};
use super::recover::{attempt_started, find_created};

/// The write path's one entry point. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WriteService {
    ctx: AppContext,
    tokens: TokenManager,
}

/// What can be checked and computed without Notion: the body's request plan, icon, cover.
struct Prepared {
    plan: CreationPlan,
    warnings: Vec<WriteWarning>,
    icon: Option<Icon>,
    cover: Option<FileObject>,
}

/// The idempotency record a run keeps up to date.
struct Idempotent<'a> {
    key: &'a IdempotencyKey,
    body_hash: &'a str,
}

/// A page that exists, and where its body stands.
#[derive(Clone)]
struct Started {
    page_id: String,
    url: Option<String>,
    progress: PlanProgress,
    /// The next append may already have been applied.
    unsure: bool,
    warnings: Vec<WriteWarning>,
}

impl WriteService {
    pub fn new(ctx: AppContext) -> Self {
        let tokens = TokenManager::new(ctx.clone());
        Self { ctx, tokens }
    }

    /// Creates a page or a data-source row. Idempotent when `idempotency_key` is Some: the
    /// same key and input return the first result; a retry after a failed append resumes it.
    ///
    /// The work runs in its own task: a caller that stops waiting (an HTTP server dropping the
    /// handler of a client that hung up) does not cut it off between Notion calls, which would
    /// leave the key locked and the last append unrecorded; a retry with the same key gets
    /// the result instead.
    pub async fn create_page(
        &self,
        connection: &ConnectionId,
        input: CreatePageInput,
        idempotency_key: Option<&str>,
    ) -> Result<CreatedPage, WriteError> {
        let service = self.clone();
        let connection = *connection;
        let key = idempotency_key.map(str::to_owned);
        // The caller's span (request id) follows the work into its task.
        let work = async move {
            service
                .create_page_to_the_end(&connection, input, key.as_deref())
                .await
        };
        tokio::spawn(tracing::Instrument::instrument(
            work,
            tracing::Span::current(),
        ))
        .await
        .map_err(|error| WriteError::Internal(format!("page creation task: {error}")))?
    }

    async fn create_page_to_the_end(
        &self,
        connection: &ConnectionId,
        input: CreatePageInput,
        idempotency_key: Option<&str>,
    ) -> Result<CreatedPage, WriteError> {
        if let Some(key) = idempotency_key {
            validate_key(key)?;
        }
        let prepared = prepare(&input)?;
        let Some(key) = idempotency_key else {
            return self.create_new(connection, &input, prepared, None).await;
        };
        let key = IdempotencyKey::new(self.ctx.adapters.ephemeral.clone(), connection, key);
        let hash = body_hash(&input)?;
        // A finished or conflicting key answers without waiting for the lock.
        if let Some(record) = key.read().await? {
            if record.body_hash != hash {
                return Err(WriteError::IdempotencyConflict);
            }
            if let RecordState::Done { result } = record.state {
                return Ok(result);
            }
        }
        if !key.lock().await? {
            return Err(WriteError::InProgress);
        }
        let outcome = self
            .create_locked(connection, &input, prepared, &key, &hash)
            .await;
        key.unlock().await;
        outcome
    }

    /// Appends Markdown at the end of an existing page (same chunking and limits as create).
    pub async fn append_markdown(
        &self,
        connection: &ConnectionId,
        page_id: &str,
        markdown: &str,
    ) -> Result<AppendOutcome, WriteError> {
        let page_id = notion_id(page_id, "page_id")?;
        let document = to_blocks(markdown)
            .map_err(|error| WriteError::invalid("markdown", error.to_string()))?;
        let warnings = document.warnings.iter().map(warning).collect();
        let plan = appends_only(
            plan_requests(document.blocks)
                .map_err(|error| WriteError::invalid("markdown", error.to_string()))?,
        );
        let mut appender = NotionAppender::new(self.tokens.clone(), *connection);
        let mut progress = PlanProgress::default();
        match execute(&plan, &page_id, &mut appender, &mut progress).await {
            Ok(_) => {
                tracing::info!(connection_id = %connection, page_id, "markdown appended");
                Ok(AppendOutcome {
                    page_id,
                    blocks_written: plan.block_count(),
                    warnings,
                })
            }
            Err(ExecuteError::Append {
                step: 0,
                source: AppendError::Token(error),
                ..
            }) if !write_maybe_applied(&error) => match error {
                crate::connect::TokenError::Notion(NotionError::NotFound { .. }) => {
                    Err(WriteError::NotFound(format!(
                        "page_id: no page {page_id} is shared with the connection"
                    )))
                }
                other => Err(other.into()),
            },
            Err(error) => {
                let missing = progress.blocks_remaining(&plan);
                tracing::warn!(connection_id = %connection, page_id, error = %log_summary(&error), "append stopped");
                Err(WriteError::Incomplete {
                    page_id,
                    url: None,
                    blocks_written: plan.block_count() - missing,
                    blocks_missing: missing,
                    resumable: false,
                })
            }
        }
    }

    /// Holding the key's lock: replay, resume or create.
    async fn create_locked(
        &self,
        connection: &ConnectionId,
        input: &CreatePageInput,
        prepared: Prepared,
        key: &IdempotencyKey,
        hash: &str,
    ) -> Result<CreatedPage, WriteError> {
        let idempotent = Idempotent {
            key,
            body_hash: hash,
        };
        match key.read().await? {
            Some(record) if record.body_hash != hash => Err(WriteError::IdempotencyConflict),
            Some(IdempotencyRecord {
                state: RecordState::Done { result },
                ..
            }) => Ok(result),
            Some(IdempotencyRecord {
                state:
                    RecordState::Incomplete {
                        page_id,
                        url,
                        progress,
                        unsure,
                        warnings,
                    },
                ..
            }) => {
                tracing::info!(connection_id = %connection, page_id, "resuming an incomplete page creation");
                let started = Started {
                    page_id,
                    url,
                    progress,
                    unsure,
                    warnings,
                };
                self.write_body(connection, &prepared.plan, started, Some(&idempotent))
                    .await
            }
            // `in_progress` without the lock: the last holder stopped before it knew the page
            // existed. If its creation may have been applied, look for the page first.
            Some(IdempotencyRecord {
                state:
                    RecordState::InProgress {
                        create_since: Some(since),
                    },
                ..
            }) => {
                let parent = resolve(&self.tokens, connection, &input.parent).await?;
                match find_created(
                    &self.tokens,
                    connection,
                    &parent,
                    input.title.trim(),
                    &since,
                )
                .await?
                {
                    Some(found) => {
                        tracing::info!(connection_id = %connection, page_id = %found.id, "found a page whose creation was not answered");
                        let started = Started {
                            page_id: found.id,
                            url: found.url,
                            progress: PlanProgress::default(),
                            // Its first append may have been sent too.
                            unsure: true,
                            warnings: prepared.warnings.clone(),
                        };
                        key.save(&incomplete_record(hash, &started)).await?;
                        self.write_body(connection, &prepared.plan, started, Some(&idempotent))
                            .await
                    }
                    None => {
                        self.start_creation(connection, input, prepared, &idempotent)
                            .await
                    }
                }
            }
            Some(_) | None => {
                self.start_creation(connection, input, prepared, &idempotent)
                    .await
            }
        }
    }

    /// Records that a creation is about to be sent, then creates.
    async fn start_creation(
        &self,
        connection: &ConnectionId,
        input: &CreatePageInput,
        prepared: Prepared,
        idempotent: &Idempotent<'_>,
    ) -> Result<CreatedPage, WriteError> {
        idempotent
            .key
            .save(&IdempotencyRecord {
                body_hash: idempotent.body_hash.to_owned(),
                state: RecordState::InProgress {
                    create_since: Some(attempt_started()),
                },
            })
            .await?;
        self.create_new(connection, input, prepared, Some(idempotent))
            .await
    }

    /// Resolves the parent, creates the page with the first batch of blocks, appends the rest.
    async fn create_new(
        &self,
        connection: &ConnectionId,
        input: &CreatePageInput,
        prepared: Prepared,
        idempotent: Option<&Idempotent<'_>>,
    ) -> Result<CreatedPage, WriteError> {
        let created = self.create_page_only(connection, input, &prepared).await;
        let started = match created {
            Ok(started) => started,
            Err(error) => {
                // Refused: nothing exists, so a retry with the same key starts over. A creation
                // that timed out or failed on Notion's side may exist: the record stays, and
                // the retry looks for the page before creating it again.
                if let Some(idempotent) = idempotent
                    && !create_maybe_applied(&error)
                    && let Err(forget) = idempotent.key.forget().await
                {
                    tracing::warn!(error = %forget, "could not clear an idempotency record");
                }
                return Err(error);
            }
        };
        tracing::info!(connection_id = %connection, page_id = %started.page_id, "page created");
        if let Some(idempotent) = idempotent {
            // A process that dies from here on may have sent the first append: the record
            // that outlives it says so (the run's own failures record what they know).
            let record = incomplete_record(
                idempotent.body_hash,
                &Started {
                    unsure: true,
                    ..started.clone()
                },
            );
            idempotent.key.save(&record).await?;
        }
        self.write_body(connection, &prepared.plan, started, idempotent)
            .await
    }

    async fn create_page_only(
        &self,
        connection: &ConnectionId,
        input: &CreatePageInput,
        prepared: &Prepared,
    ) -> Result<Started, WriteError> {
        let parent = resolve(&self.tokens, connection, &input.parent).await?;
        let mut warnings = prepared.warnings.clone();
        let properties = match &parent {
            ResolvedParent::Page { .. } => BTreeMap::from([(
                "title".to_owned(),
                PropertyValue::title(text_items(input.title.trim(), "title")?),
            )]),
            ResolvedParent::DataSource(source) => {
                let converted = row_properties(
                    &source.properties,
                    input.title.trim(),
                    input.properties.as_ref(),
                )?;
                warnings.extend(converted.warnings);
                converted.values
            }
        };
        let mut request = CreatePageRequest::new(parent.notion_parent());
        request.properties = properties;
        request.icon = prepared.icon.clone();
        request.cover = prepared.cover.clone();
        if !prepared.plan.initial_children.is_empty() {
            request.children = Some(prepared.plan.initial_children.clone());
        }
        let page = self
            .tokens
            .call(connection, |client| {
                let request = request.clone();
                async move { client.create_page(&request).await }
            })
            .await
            .map_err(|error| match error {
                // The parent was readable a moment ago (data sources) or is only checked here
                // (pages): a missing object is the parent. A validation error may concern any
                // part of the request (a property, the icon, the body), so Notion's message,
                // which names the path, is relayed as is.
                error @ TokenError::Notion(NotionError::NotFound { .. }) => not_found_is_invalid(
                    error,
                    &format!("parent.{}", input.parent.kind()),
                    parent.noun(),
                ),
                other => other.into(),
            })?;
        Ok(Started {
            page_id: page.id,
            url: page.url,
            progress: PlanProgress::default(),
            unsure: false,
            warnings,
        })
    }

    /// Runs the plan's remaining appends; records the outcome under the key.
    async fn write_body(
        &self,
        connection: &ConnectionId,
        plan: &CreationPlan,
        started: Started,
        idempotent: Option<&Idempotent<'_>>,
    ) -> Result<CreatedPage, WriteError> {
        let Started {
            page_id,
            url,
            mut progress,
            unsure,
            warnings,
        } = started;
        let mut appender = NotionAppender::new(self.tokens.clone(), *connection);
        if unsure && progress.steps_done() < plan.appends.len() {
            appender = appender.verify_next(children_before(plan, progress.steps_done()));
        }
        if let Some(idempotent) = idempotent {
            appender = appender.with_checkpoint(Checkpoint {
                key: idempotent.key.clone(),
                body_hash: idempotent.body_hash.to_owned(),
                page_id: page_id.clone(),
                url: url.clone(),
                progress: progress.clone(),
                warnings: warnings.clone(),
            });
        }
        match execute(plan, &page_id, &mut appender, &mut progress).await {
            Ok(_) => {
                let result = CreatedPage {
                    id: page_id,
                    url,
                    blocks_written: plan.block_count(),
                    warnings,
                };
                if let Some(idempotent) = idempotent {
                    let done = IdempotencyRecord {
                        body_hash: idempotent.body_hash.to_owned(),
                        state: RecordState::Done {
                            result: result.clone(),
                        },
                    };
                    // The page is complete either way; without this record a retry finds the
                    // last checkpoint (every step done) and answers the same result.
                    if let Err(error) = idempotent.key.save(&done).await {
                        tracing::warn!(connection_id = %connection, error = %error, "could not record a finished idempotent page creation");
                    }
                }
                Ok(result)
            }
            Err(error) => {
                let unsure = match &error {
                    ExecuteError::Append { source, .. } => {
                        source.maybe_applied() || matches!(source, AppendError::Diverged { .. })
                    }
                    ExecuteError::UnexpectedIds { .. } => true,
                    ExecuteError::ProgressMismatch(_) => false,
                };
                let missing = progress.blocks_remaining(plan);
                tracing::warn!(connection_id = %connection, page_id, error = %log_summary(&error), "page body incomplete");
                let stopped = Started {
                    page_id,
                    url,
                    progress,
                    unsure,
                    warnings,
                };
                let mut resumable = false;
                if let Some(idempotent) = idempotent {
                    match idempotent
                        .key
                        .save(&incomplete_record(idempotent.body_hash, &stopped))
                        .await
                    {
                        Ok(()) => resumable = true,
                        Err(error) => {
                            tracing::error!(connection_id = %connection, error = %error, "could not record an incomplete page creation");
                        }
                    }
                }
                Err(WriteError::Incomplete {
                    page_id: stopped.page_id,
                    url: stopped.url,
                    blocks_written: plan.block_count() - missing,
                    blocks_missing: missing,
                    resumable,
                })
            }
        }
    }
}

/// Whether a failed page creation may have been applied by Notion.
fn create_maybe_applied(error: &WriteError) -> bool {
    matches!(
        error,
        WriteError::Notion(
            NotionError::Timeout
                | NotionError::Server { .. }
                | NotionError::Transport { .. }
                | NotionError::Decode { .. }
        )
    )
}

fn incomplete_record(body_hash: &str, started: &Started) -> IdempotencyRecord {
    IdempotencyRecord {
        body_hash: body_hash.to_owned(),
        state: RecordState::Incomplete {
            page_id: started.page_id.clone(),
            url: started.url.clone(),
            progress: started.progress.clone(),
            unsure: started.unsure,
            warnings: started.warnings.clone(),
        },
    }
}

/// Notion's limit on a request body (500 KB), in bytes.
const MAX_REQUEST_BYTES: usize = 500_000;
/// Room kept in a page creation for the parent, icon, cover and the JSON around them.
const REQUEST_HEAD_MARGIN: usize = 10_000;

/// Checks what needs no Notion call and plans the body.
fn prepare(input: &CreatePageInput) -> Result<Prepared, WriteError> {
    let title = input.title.trim();
    if title.is_empty() {
        return Err(WriteError::invalid(
            "title",
            "is required and must not be empty",
        ));
    }
    text_items(title, "title")?;
    if matches!(input.parent, ParentInput::PageId(_))
        && input.properties.as_ref().is_some_and(|map| !map.is_empty())
    {
        return Err(WriteError::invalid(
            "properties",
            "only rows (parent.data_source_id or parent.database_id) have properties; a sub-page has only its title",
        ));
    }
    let icon = input.icon.as_deref().map(icon).transpose()?;
    let cover = input
        .cover
        .as_deref()
        .map(|raw| {
            http_url(raw)
                .map(FileObject::external)
                .ok_or_else(|| WriteError::invalid("cover", "must be an absolute http(s) URL"))
        })
        .transpose()?;
    // The body sent with the creation shares Notion's request size limit with the title and
    // properties. The budget depends on the input alone, so a resumed run plans the same steps.
    let head = request_bytes_bound(title, input.properties.as_ref()) + REQUEST_HEAD_MARGIN;
    let Some(room) = MAX_REQUEST_BYTES.checked_sub(head) else {
        let field = if input.properties.as_ref().is_some_and(|map| !map.is_empty()) {
            "properties"
        } else {
            "title"
        };
        return Err(WriteError::invalid(
            field,
            format!(
                "the title and properties need about {} KB; one Notion request carries at most {} KB",
                head / 1_000,
                MAX_REQUEST_BYTES / 1_000
            ),
        ));
    };
    let defaults = PlanOptions::default();
    let options = PlanOptions {
        creation_bytes: defaults.creation_bytes.min(room),
        ..defaults
    };
    let document = to_blocks(input.markdown.as_deref().unwrap_or_default())
        .map_err(|error| WriteError::invalid("markdown", error.to_string()))?;
    let warnings = document.warnings.iter().map(warning).collect();
    let plan = plan_requests_with(document.blocks, &options)
        .map_err(|error| WriteError::invalid("markdown", error.to_string()))?;
    Ok(Prepared {
        plan,
        warnings,
        icon,
        cover,
    })
}

/// An emoji, or an http(s) image URL.
fn icon(raw: &str) -> Result<Icon, WriteError> {
    let raw = raw.trim();
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return http_url(raw)
            .map(|url| {
                Icon::External(crate::notion::model::ExternalFile {
                    url,
                    extra: serde_json::Map::new(),
                })
            })
            .ok_or_else(|| WriteError::invalid("icon", "is not a valid http(s) URL"));
    }
    let chars = raw.chars().count();
    // Keycap emoji (`1️⃣`, `#️⃣`) start with an ASCII character; plain text never has a
    // non-ASCII one.
    if chars == 0 || chars > 16 || raw.chars().any(char::is_whitespace) || raw.is_ascii() {
        return Err(WriteError::invalid(
            "icon",
            "must be one emoji or an http(s) image URL",
        ));
    }
    Ok(Icon::emoji(raw))
}

fn warning(warning: &Warning) -> WriteWarning {
    WriteWarning {
        kind: serde_json::to_value(warning.kind)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default(),
        line: warning.line,
        message: warning.message.clone(),
    }
}

/// How many children the parent of `plan.appends[step]` holds before that step runs.
fn children_before(plan: &CreationPlan, step: usize) -> usize {
    let Some(append) = plan.appends.get(step) else {
        return 0;
    };
    let created_with = match append.parent {
        BlockRef::Page => plan.initial_children.len(),
        BlockRef::Created { step, index } => plan
            .appends
            .get(step)
            .and_then(|earlier| earlier.children.get(index))
            .and_then(|block| block.children())
            .map_or(0, Vec::len),
    };
    created_with
        + plan.appends[..step]
            .iter()
            .filter(|earlier| earlier.parent == append.parent)
            .map(|earlier| earlier.children.len())
            .sum::<usize>()
}

/// A plan for an existing page: the creation batch becomes the first append.
fn appends_only(plan: CreationPlan) -> CreationPlan {
    if plan.initial_children.is_empty() {
        return plan;
    }
    let shift = |parent: BlockRef| match parent {
        BlockRef::Page => BlockRef::Page,
        BlockRef::Created { step, index } => BlockRef::Created {
            step: step + 1,
            index,
        },
    };
    let mut appends = vec![Append {
        parent: BlockRef::Page,
        children: plan.initial_children,
    }];
    appends.extend(plan.appends.into_iter().map(|append| Append {
        parent: shift(append.parent),
        children: append.children,
    }));
    CreationPlan {
        initial_children: Vec::new(),
        appends,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{BlockNode, MemoryAppender};
    use futures::executor::block_on;

    fn plan_of(markdown: &str) -> CreationPlan {
        plan_requests(to_blocks(markdown).unwrap().blocks).unwrap()
    }

    fn long_markdown() -> String {
        let mut markdown = String::from("# Title\n\nIntro\n\n");
        for i in 0..260 {
            markdown.push_str(&format!(
                "- item {i}\n  - child {i}\n    - grandchild {i}\n"
            ));
        }
        markdown
    }

    #[test]
    fn children_before_counts_what_each_parent_holds() {
        let plan = plan_of(&long_markdown());
        assert!(plan.appends.len() > 3);
        let mut appender = MemoryAppender::new();
        let page = appender.create_page(&plan.initial_children).unwrap();
        let mut progress = PlanProgress::default();
        for step in 0..plan.appends.len() {
            let append = &plan.appends[step];
            let parent = match append.parent {
                BlockRef::Page => page.clone(),
                BlockRef::Created { step, index } => progress.completed[step][index].clone(),
            };
            let held = appender.tree(&page);
            let count = count_children(&held, &page, &parent, &appender);
            assert_eq!(children_before(&plan, step), count, "step {step}");
            let ids = block_on(crate::markdown::BlockAppender::append_children(
                &mut appender,
                &parent,
                &append.children,
            ))
            .unwrap();
            progress.completed.push(ids);
        }
    }

    fn count_children(
        tree: &[BlockNode],
        page: &str,
        parent: &str,
        appender: &MemoryAppender,
    ) -> usize {
        if parent == page {
            tree.len()
        } else {
            appender.tree(parent).len()
        }
    }

    #[test]
    fn appends_only_writes_the_same_tree() {
        let markdown = long_markdown();
        let plan = appends_only(plan_of(&markdown));
        assert!(plan.initial_children.is_empty());
        let mut appender = MemoryAppender::new();
        let page = appender.create_page(&[]).unwrap();
        let mut progress = PlanProgress::default();
        block_on(execute(&plan, &page, &mut appender, &mut progress)).unwrap();
        let expected = BlockNode::from_requests(to_blocks(&markdown).unwrap().blocks);
        assert_eq!(appender.tree(&page), expected);
    }

    #[test]
    fn input_problems_are_named_before_any_call() {
        let input = |title: &str| CreatePageInput {
            parent: ParentInput::PageId("p".into()),
            title: title.into(),
            markdown: None,
            icon: None,
            cover: None,
            properties: None,
        };
        let field = |result: Result<Prepared, WriteError>| match result {
            Err(WriteError::InvalidInput { field, .. }) => field,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        };
        assert_eq!(field(prepare(&input("  "))), "title");
        let mut with_props = input("T");
        with_props.properties = Some(serde_json::Map::from_iter([(
            "A".to_owned(),
            serde_json::json!(1),
        )]));
        assert_eq!(field(prepare(&with_props)), "properties");
        let mut bad_icon = input("T");
        bad_icon.icon = Some("abc".into());
        assert_eq!(field(prepare(&bad_icon)), "icon");
        let mut bad_cover = input("T");
        bad_cover.cover = Some("ftp://x".into());
        assert_eq!(field(prepare(&bad_cover)), "cover");
        for keycap in ["1️⃣", "#️⃣", "*️⃣"] {
            let mut with_keycap = input("T");
            with_keycap.icon = Some(keycap.into());
            assert!(prepare(&with_keycap).is_ok(), "{keycap}");
        }
        let mut good = input("T");
        good.icon = Some("📝".into());
        good.cover = Some("https://e.x/c.png".into());
        assert!(prepare(&good).is_ok());
    }
}
