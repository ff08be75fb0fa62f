//! What the UI's collection pages show: a collection with one page of its
//! examples, their annotation summary and the collection's public links.

use serde::{Deserialize, Serialize};

use super::{AnnotationSummary, Collection, CollectionItem, PublicLink, RemovedItem};

/// Examples per page of a collection's page.
pub const COLLECTION_PAGE_SIZE: u32 = 50;

/// Public links a collection's page lists at most.
pub const COLLECTION_PAGE_LINKS: u32 = 50;

/// One example of a collection's page: the item and its span's project (for
/// the link to the span page).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionExample {
    /// The flagged span with its note and annotations.
    pub item: CollectionItem,
    /// The name of the span's project.
    pub project: String,
}

/// A collection's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionView {
    /// The collection.
    pub collection: Collection,
    /// The examples of this page, in the order they were flagged.
    pub examples: Vec<CollectionExample>,
    /// Item cursor of the next page, if there is one.
    pub next_cursor: Option<i64>,
    /// Per annotation name over the whole collection, by name.
    pub summary: Vec<AnnotationSummary>,
    /// The collection's public links, newest first (without tokens).
    pub links: Vec<PublicLink>,
    /// On the first page: the first items whose spans were deleted since
    /// they were flagged (tombstones), and whether there are more.
    pub removed: (Vec<RemovedItem>, bool),
}

/// A public link just made from the UI: its URL is shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedLinkUrl {
    /// `<base>/share/<token>`.
    pub url: String,
    /// When it stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A collection's page: `/collections/<rowid>`.
pub fn collection_path(collection: crate::ids::CollectionId) -> String {
    format!("/collections/{}", collection.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_paths_use_the_rowid() {
        assert_eq!(collection_path(crate::ids::CollectionId(7)), "/collections/7");
    }
}
