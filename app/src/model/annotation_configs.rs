//! Annotation configs: named, typed descriptions of what annotators may say
//! (`/v1/annotation_configs`). Phoenix never checks annotations against them.

use serde::{Deserialize, Serialize};

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum OptimizationDirection {
    /// Higher is better.
    #[serde(rename = "MAXIMIZE")]
    Maximize,
    /// Lower is better.
    #[serde(rename = "MINIMIZE")]
    Minimize,
    /// Neither.
    #[serde(rename = "NONE")]
    None,
}

/// One allowed label of a categorical config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CategoricalValue {
    /// The label.
    pub label: String,
    /// Its score, if it has one.
    #[serde(default)]
    pub score: Option<f64>,
}

/// The type-specific part of a config, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum AnnotationConfigKind {
    /// A choice among labels.
    #[serde(rename = "CATEGORICAL")]
    Categorical {
        /// Free text.
        #[serde(default)]
        description: Option<String>,
        /// Which way is better.
        optimization_direction: OptimizationDirection,
        /// Non-empty, labels unique.
        values: Vec<CategoricalValue>,
    },
    /// A number, optionally bounded.
    #[serde(rename = "CONTINUOUS")]
    Continuous {
        /// Free text.
        #[serde(default)]
        description: Option<String>,
        /// Which way is better.
        optimization_direction: OptimizationDirection,
        /// Lowest value; below `upper_bound` when both are given.
        #[serde(default)]
        lower_bound: Option<f64>,
        /// Highest value.
        #[serde(default)]
        upper_bound: Option<f64>,
    },
    /// Free text.
    #[serde(rename = "FREEFORM")]
    Freeform {
        /// Free text.
        #[serde(default)]
        description: Option<String>,
        /// Which way is better, if any.
        #[serde(default)]
        optimization_direction: Option<OptimizationDirection>,
        /// A pass mark, if any.
        #[serde(default)]
        threshold: Option<f64>,
        /// Lowest value.
        #[serde(default)]
        lower_bound: Option<f64>,
        /// Highest value.
        #[serde(default)]
        upper_bound: Option<f64>,
    },
}

impl AnnotationConfigKind {
    /// The type name inside the config's global id.
    pub fn global_type(&self) -> &'static str {
        match self {
            AnnotationConfigKind::Categorical { .. } => "CategoricalAnnotationConfig",
            AnnotationConfigKind::Continuous { .. } => "ContinuousAnnotationConfig",
            AnnotationConfigKind::Freeform { .. } => "FreeformAnnotationConfig",
        }
    }

    /// Every global id type name a config can have.
    pub const GLOBAL_TYPES: [&'static str; 3] =
        ["CategoricalAnnotationConfig", "ContinuousAnnotationConfig", "FreeformAnnotationConfig"];
}

/// A config as posted (`POST`/`PUT /v1/annotation_configs`): the body itself, not wrapped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationConfigData {
    /// Unique; `note` is reserved.
    pub name: String,
    /// `type` and the fields that go with it.
    #[serde(flatten)]
    pub kind: AnnotationConfigKind,
}

impl AnnotationConfigData {
    /// The semantic rules Phoenix answers with 400: a categorical config has
    /// values with unique labels, and bounds are ordered.
    pub fn check(&self) -> Result<(), String> {
        match &self.kind {
            AnnotationConfigKind::Categorical { values, .. } => {
                if values.is_empty() {
                    return Err("Values must be non-empty".into());
                }
                let mut labels: Vec<&str> = values.iter().map(|v| v.label.as_str()).collect();
                labels.sort_unstable();
                if labels.windows(2).any(|pair| pair[0] == pair[1]) {
                    return Err("Values must have unique labels".into());
                }
                Ok(())
            }
            AnnotationConfigKind::Continuous { lower_bound, upper_bound, .. }
            | AnnotationConfigKind::Freeform { lower_bound, upper_bound, .. } => match (lower_bound, upper_bound) {
                (Some(lower), Some(upper)) if lower >= upper => {
                    Err("Lower bound must be strictly less than upper bound".into())
                }
                _ => Ok(()),
            },
        }
    }
}

/// A stored config, as listed: the data and its global id last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationConfig {
    /// Name, type and type-specific fields.
    #[serde(flatten)]
    pub data: AnnotationConfigData,
    /// Global id, e.g. `CategoricalAnnotationConfig:1`.
    pub id: crate::ids::ConfigId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_follow_phoenix_and_rules_hold() {
        let data: AnnotationConfigData = serde_json::from_value(json!({
            "type": "CATEGORICAL", "name": "quality", "optimization_direction": "MAXIMIZE",
            "values": [{"label": "good", "score": 1}, {"label": "bad"}]
        }))
        .unwrap();
        assert!(data.check().is_ok());
        let config =
            AnnotationConfig { data, id: crate::ids::ConfigId { type_name: "CategoricalAnnotationConfig", rowid: 1 } };
        let value = serde_json::to_value(&config).unwrap();
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["name", "type", "description", "optimization_direction", "values", "id"]);

        let bounds: AnnotationConfigData = serde_json::from_value(json!({
            "type": "CONTINUOUS", "name": "c", "optimization_direction": "NONE", "lower_bound": 1, "upper_bound": 1
        }))
        .unwrap();
        assert!(bounds.check().is_err());
        assert!(serde_json::from_value::<AnnotationConfigData>(json!({"type": "BOOLEAN", "name": "b"})).is_err());
    }
}
