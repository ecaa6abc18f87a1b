//! Cursor pagination as lazy streams: one page is fetched when the consumer has used up the
//! previous one, so a listing never holds more than one page (≤ 100 items) in memory.

use std::future::Future;

use futures::stream::{self, Stream, TryStreamExt};

use super::error::NotionError;
use crate::notion::model::{List, PropertyItem, PropertyItemResponse, Template, TemplatesList};

/// One page of a paginated listing, whatever its JSON shape.
pub(crate) trait Paginated {
    type Item;
    /// The items, and the cursor of the next page (`None` when this was the last one).
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

impl<T> Paginated for List<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, Option<String>) {
        let cursor = next_cursor(self.has_more, self.next_cursor);
        (self.results, cursor)
    }
}

impl Paginated for TemplatesList {
    type Item = Template;
    fn into_parts(self) -> (Vec<Template>, Option<String>) {
        let cursor = next_cursor(self.has_more, self.next_cursor);
        (self.templates, cursor)
    }
}

/// A property item answer is a single item, or one page of the list form.
impl Paginated for PropertyItemResponse {
    type Item = PropertyItem;
    fn into_parts(self) -> (Vec<PropertyItem>, Option<String>) {
        match self {
            Self::Single(item) => (vec![item], None),
            Self::List(list) => {
                let cursor = next_cursor(list.has_more, list.next_cursor);
                (list.results, cursor)
            }
        }
    }
}

enum Next {
    Cursor(Option<String>),
    Done,
}

/// Streams every item of a listing, starting at `start_cursor` (`None`: the beginning).
/// `fetch` gets the cursor of the page to fetch.
pub(crate) fn paginate<P, F, Fut>(
    start_cursor: Option<String>,
    mut fetch: F,
) -> impl Stream<Item = Result<P::Item, NotionError>> + Send + 'static
where
    P: Paginated + Send + 'static,
    P::Item: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<P, NotionError>> + Send + 'static,
{
    stream::try_unfold(Next::Cursor(start_cursor), move |next| {
        let page = match next {
            Next::Cursor(cursor) => Some(fetch(cursor)),
            Next::Done => None,
        };
        async move {
            let Some(page) = page else {
                return Ok(None);
            };
            let (items, next_cursor) = page.await?.into_parts();
            let next = match next_cursor {
                Some(cursor) => Next::Cursor(Some(cursor)),
                None => Next::Done,
            };
            Ok(Some((stream::iter(items.into_iter().map(Ok)), next)))
        }
    })
    .try_flatten()
}

/// `next_cursor` only counts while `has_more` is true (Notion sends both; trust the pair).
pub(crate) fn next_cursor(has_more: bool, next_cursor: Option<String>) -> Option<String> {
    if has_more {
        next_cursor.filter(|cursor| !cursor.is_empty())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::StreamExt;

    use super::*;

    struct Page(Vec<u32>, Option<String>);

    impl Paginated for Page {
        type Item = u32;
        fn into_parts(self) -> (Vec<u32>, Option<String>) {
            (self.0, self.1)
        }
    }

    fn pages(
        fetches: Arc<AtomicUsize>,
    ) -> impl FnMut(Option<String>) -> std::future::Ready<Result<Page, NotionError>> {
        move |cursor| {
            fetches.fetch_add(1, Ordering::SeqCst);
            let index: u32 = cursor.as_deref().map_or(0, |c| c.parse().unwrap());
            let next = (index < 2).then(|| (index + 1).to_string());
            std::future::ready(Ok(Page(vec![index * 10, index * 10 + 1], next)))
        }
    }

    #[tokio::test]
    async fn streams_every_item_in_order_lazily() {
        let fetches = Arc::new(AtomicUsize::new(0));
        let stream = paginate(None, pages(fetches.clone()));
        futures::pin_mut!(stream);
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            0,
            "nothing fetched before polling"
        );
        assert_eq!(stream.next().await.unwrap().unwrap(), 0);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        let rest: Vec<u32> = stream.try_collect().await.unwrap();
        assert_eq!(rest, vec![1, 10, 11, 20, 21]);
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn resumes_from_a_cursor() {
        let fetches = Arc::new(AtomicUsize::new(0));
        let items: Vec<u32> = paginate(Some("2".into()), pages(fetches))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, vec![20, 21]);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_after_the_items_before_it() {
        let mut calls = 0;
        let stream = paginate(None, move |_cursor: Option<String>| {
            calls += 1;
            std::future::ready(if calls == 1 {
                Ok(Page(vec![1], Some("next".into())))
            } else {
                Err(NotionError::Timeout)
            })
        });
        let results: Vec<_> = stream.collect().await;
        assert_eq!(results.len(), 2);
        assert_eq!(results[0], Ok(1));
        assert_eq!(results[1], Err(NotionError::Timeout));
    }

    #[test]
    fn cursor_counts_only_with_has_more() {
        assert_eq!(next_cursor(true, Some("c".into())), Some("c".into()));
        assert_eq!(next_cursor(false, Some("c".into())), None);
        assert_eq!(next_cursor(true, Some(String::new())), None);
        assert_eq!(next_cursor(true, None), None);
    }
}
