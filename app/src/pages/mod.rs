//! One module per page.

mod not_found;
mod projects;

pub use not_found::NotFound;
pub use projects::Projects;
