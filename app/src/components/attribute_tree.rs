//! Attributes as a collapsible tree: dotted keys (`llm.token_count.prompt`)
//! become nested `<details>`, leaves show their JSON value.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::span_io::value_text;

/// A branch of the tree: children in first-seen order.
#[derive(Debug, Default, PartialEq)]
pub struct Branch {
    /// `(segment, node)` pairs.
    pub children: Vec<(String, Node)>,
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
        let at = match self.children.iter().position(|(key, _)| key == segment) {
            Some(at) => at,
            None => {
                self.children.push((segment.to_owned(), Node::Branch(Branch::default())));
                self.children.len() - 1
            }
        };
        &mut self.children[at].1
    }
}

/// Groups flat dotted keys by their segments. A key that is both a value
/// and a prefix keeps its value under the segment `""`.
pub fn attribute_tree(attributes: &Map<String, Value>) -> Branch {
    let mut root = Branch::default();
    for (key, value) in attributes {
        let mut branch = &mut root;
        let segments: Vec<&str> = key.split('.').collect();
        let (last, parents) = segments.split_last().expect("split yields at least one segment");
        for segment in parents {
            let node = branch.child(segment);
            if let Node::Leaf(old) = node {
                let old = std::mem::replace(old, Value::Null);
                *node = Node::Branch(Branch { children: vec![(String::new(), Node::Leaf(old))] });
            }
            let Node::Branch(next) = node else { unreachable!("made a branch above") };
            branch = next;
        }
        match branch.child(last) {
            Node::Branch(inner) if !inner.children.is_empty() => {
                inner.children.insert(0, (String::new(), Node::Leaf(value.clone())))
            }
            node => *node = Node::Leaf(value.clone()),
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
}
