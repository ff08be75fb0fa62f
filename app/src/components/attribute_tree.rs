//! Attributes as a collapsible tree: dotted keys (`llm.token_count.prompt`)
//! become nested `<details>`, leaves show their JSON value.

use std::collections::HashMap;

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::span_io::value_text;

/// Deepest level the tree shows: past it the rest of a key stays one
/// segment. Rendering recurses once per level (a few KiB of stack each in a
/// debug build), so this bounds the stack a span page needs whatever keys a
/// span carries, including spans stored before decoding bounded keys.
/// Real keys are far shallower (`llm.input_messages.0.message.content`: 5).
pub const TREE_DEPTH: usize = 16;

/// A branch of the tree: children in first-seen order.
#[derive(Debug, Default)]
pub struct Branch {
    /// `(segment, node)` pairs.
    pub children: Vec<(String, Node)>,
    /// Where each segment sits in `children`, so that building a tree of n
    /// keys is O(n), not O(n²) (a span may carry many thousands of keys).
    index: HashMap<String, usize>,
}

impl PartialEq for Branch {
    fn eq(&self, other: &Self) -> bool {
        self.children == other.children
    }
}

/// A node: a value, or more keys below.
#[derive(Debug, PartialEq)]
pub enum Node {
    /// An attribute value.
    Leaf(Value),
    /// Keys sharing this prefix.
    Branch(Branch),
}

impl Branch {
    fn child(&mut self, segment: &str) -> &mut Node {
        let at = match self.index.get(segment) {
            Some(at) => *at,
            None => {
                self.children.push((segment.to_owned(), Node::Branch(Branch::default())));
                self.index.insert(segment.to_owned(), self.children.len() - 1);
                self.children.len() - 1
            }
        };
        &mut self.children[at].1
    }

    /// Puts a value first under the segment `""` (once per branch: keys are unique).
    fn put_own_value(&mut self, value: Value) {
        self.children.insert(0, (String::new(), Node::Leaf(value)));
        self.index.clear();
        for (at, (segment, _)) in self.children.iter().enumerate() {
            self.index.entry(segment.clone()).or_insert(at);
        }
    }
}

/// Groups flat dotted keys by their segments. A key that is both a value
/// and a prefix keeps its value under the segment `""`. The tree is at most
/// [`TREE_DEPTH`] deep.
pub fn attribute_tree(attributes: &Map<String, Value>) -> Branch {
    let mut root = Branch::default();
    for (key, value) in attributes {
        let mut branch = &mut root;
        let mut segments = key.splitn(TREE_DEPTH, '.').peekable();
        while let Some(segment) = segments.next() {
            if segments.peek().is_none() {
                match branch.child(segment) {
                    Node::Branch(inner) if !inner.children.is_empty() => inner.put_own_value(value.clone()),
                    node => *node = Node::Leaf(value.clone()),
                }
                break;
            }
            let node = branch.child(segment);
            if let Node::Leaf(old) = node {
                let mut inner = Branch::default();
                inner.child("");
                inner.children[0].1 = Node::Leaf(std::mem::replace(old, Value::Null));
                *node = Node::Branch(inner);
            }
            let Node::Branch(next) = node else { unreachable!("made a branch above") };
            branch = next;
        }
    }
    root
}

fn render_branch(branch: Branch, depth: usize) -> AnyView {
    view! {
        <ul class="attr-list">
            {branch
                .children
                .into_iter()
                .map(|(key, node)| match node {
                    Node::Leaf(value) => {
                        let class = if value.is_string() { "attr-value string" } else { "attr-value" };
                        view! {
                            <li class="attr-leaf">
                                <span class="attr-key">{key}</span>
                                <span class=class>{value_text(&value)}</span>
                            </li>
                        }
                        .into_any()
                    }
                    Node::Branch(inner) => {
                        let count = inner.children.len();
                        view! {
                            <li>
                                <details open=depth < 1>
                                    <summary>
                                        <span class="attr-key">{key}</span>
                                        <span class="muted">" (" {count} ")"</span>
                                    </summary>
                                    {render_branch(inner, depth + 1)}
                                </details>
                            </li>
                        }
                        .into_any()
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// The tree, top levels open.
#[component]
pub fn AttributeTree(attributes: Map<String, Value>) -> impl IntoView {
    if attributes.is_empty() {
        return view! { <p class="muted">"None."</p> }.into_any();
    }
    render_branch(attribute_tree(&attributes), 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_dotted_keys() {
        let Value::Object(flat) = json!({"llm.model": "gpt", "llm.tokens.prompt": 3, "input.value": "hi"}) else {
            unreachable!()
        };
        let tree = attribute_tree(&flat);
        let keys: Vec<&str> = tree.children.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["llm", "input"]);
        let Node::Branch(llm) = &tree.children[0].1 else { panic!("llm is a branch") };
        assert_eq!(llm.children[0], ("model".to_owned(), Node::Leaf(json!("gpt"))));
        let Node::Branch(tokens) = &llm.children[1].1 else { panic!("tokens is a branch") };
        assert_eq!(tokens.children[0], ("prompt".to_owned(), Node::Leaf(json!(3))));
    }

    #[test]
    fn a_value_that_is_also_a_prefix_keeps_both() {
        let Value::Object(flat) = json!({"a": 1, "a.b": 2}) else { unreachable!() };
        let tree = attribute_tree(&flat);
        let Node::Branch(a) = &tree.children[0].1 else { panic!("a is a branch") };
        assert_eq!(a.children, vec![(String::new(), Node::Leaf(json!(1))), ("b".to_owned(), Node::Leaf(json!(2)))]);
    }

    #[test]
    fn many_keys_build_in_linear_time() {
        // 200,000 siblings under one prefix: quadratic look-ups would take minutes.
        let flat: Map<String, Value> = (0..200_000).map(|i| (format!("llm.k{i}"), json!(i))).collect();
        let tree = attribute_tree(&flat);
        let Node::Branch(llm) = &tree.children[0].1 else { panic!("llm is a branch") };
        assert_eq!(llm.children.len(), 200_000);
        assert_eq!(llm.children[199_999], ("k199999".to_owned(), Node::Leaf(json!(199_999))));
    }

    #[test]
    fn a_value_put_first_keeps_later_look_ups_right() {
        let Value::Object(flat) = json!({"a.b": 1, "a": 0, "a.c": 2, "a.b2": 3}) else { unreachable!() };
        let tree = attribute_tree(&flat);
        let Node::Branch(a) = &tree.children[0].1 else { panic!("a is a branch") };
        let keys: Vec<&str> = a.children.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["", "b", "c", "b2"]);
    }

    /// A key of 50,000 segments (storable before decoding bounded keys) is
    /// built, rendered and dropped on a 256 KiB stack (an eighth of a server
    /// worker's): the tree stops at [`TREE_DEPTH`] levels.
    #[test]
    fn a_deep_key_renders_on_a_small_stack() {
        let key = vec!["a"; 50_000].join(".");
        let flat: Map<String, Value> = [(key, json!("deep")), ("b".to_owned(), json!(1))].into_iter().collect();
        let html = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let tree = attribute_tree(&flat);
                let mut depth = 0;
                let mut branch = &tree;
                while let Some((_, Node::Branch(inner))) = branch.children.first() {
                    depth += 1;
                    branch = inner;
                }
                assert_eq!(depth, TREE_DEPTH - 1);
                drop(tree);
                view! { <AttributeTree attributes=flat /> }.to_html()
            })
            .expect("spawning")
            .join()
            .expect("no stack overflow");
        assert!(html.contains("deep"));
        assert_eq!(html.matches("<details").count(), TREE_DEPTH - 1);
    }
}
