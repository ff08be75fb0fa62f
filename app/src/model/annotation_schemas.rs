//! OpenAPI schemas of the generic request bodies (their id key depends on the
//! target, so they are built here rather than derived).

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::{AnnotationInput, AnnotationResult, AnnotationsRequest, AnnotatorKind, NoteInput, NoteRequest, Target};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn capitalised<T: Target>() -> String {
    let kind = T::KIND.as_str();
    kind[..1].to_uppercase() + &kind[1..]
}

impl<T: Target> PartialSchema for AnnotationInput<T> {
    fn schema() -> RefOr<Schema> {
        let id = T::KIND.id_field();
        ObjectBuilder::new()
            .property(id, string())
            .required(id)
            .property("name", string().description(Some("`note` is reserved")))
            .required("name")
            .property("annotator_kind", Ref::from_schema_name("AnnotatorKind"))
            .required("annotator_kind")
            .property("result", Ref::from_schema_name("AnnotationResult"))
            .property("metadata", ObjectBuilder::new().schema_type(Type::Object))
            .property("identifier", string().default(Some("".into())))
            .into()
    }
}

impl<T: Target> ToSchema for AnnotationInput<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}AnnotationData", capitalised::<T>()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((AnnotatorKind::name().into(), AnnotatorKind::schema()));
        schemas.push((AnnotationResult::name().into(), AnnotationResult::schema()));
    }
}

impl<T: Target> PartialSchema for AnnotationsRequest<T> {
    fn schema() -> RefOr<Schema> {
        let items = ArrayBuilder::new().items(Ref::from_schema_name(AnnotationInput::<T>::name()));
        ObjectBuilder::new().property("data", items).required("data").into()
    }
}

impl<T: Target> ToSchema for AnnotationsRequest<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Annotate{}sRequestBody", capitalised::<T>()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((AnnotationInput::<T>::name().into(), AnnotationInput::<T>::schema()));
        AnnotationInput::<T>::schemas(schemas);
    }
}

impl<T: Target> PartialSchema for NoteInput<T> {
    fn schema() -> RefOr<Schema> {
        let id = T::KIND.id_field();
        ObjectBuilder::new()
            .property(id, string())
            .required(id)
            .property("note", string())
            .required("note")
            .property("identifier", string())
            .into()
    }
}

impl<T: Target> ToSchema for NoteInput<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}NoteData", capitalised::<T>()))
    }
}

impl<T: Target> PartialSchema for NoteRequest<T> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().property("data", Ref::from_schema_name(NoteInput::<T>::name())).required("data").into()
    }
}

impl<T: Target> ToSchema for NoteRequest<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Create{}NoteRequestBody", capitalised::<T>()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((NoteInput::<T>::name().into(), NoteInput::<T>::schema()));
    }
}
