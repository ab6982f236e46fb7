//! The setup as code in the wizard: opening the view of the kit's files and copying or
//! writing the one on show.

use crate::app::effect::Effect;
use crate::app::model::{AsCodePane, Layer, Model, Screen, StatusKind};
use crate::app::transitions::status;

/// Opens the "as code" view, on the first file of the cloud's first code format.
pub(crate) fn open_as_code(model: &mut Model) -> Vec<Effect> {
    if model.screen == Screen::ResumeOffer {
        return Vec::new();
    }
    if model.cloud.kit().code_formats().is_empty() {
        model.status = Some(status(
            StatusKind::Info,
            format!(
                "{} has no as-code view: its steps are done in the console or with the commands shown.",
                model.cloud.display_name()
            ),
        ));
        return Vec::new();
    }
    model.layers.open(Layer::AsCode(AsCodePane::default()));
    Vec::new()
}

/// Copies the file on show, or writes every file of its format into one folder.
pub(crate) fn code_effect(model: &mut Model, write_all: bool) -> Vec<Effect> {
    let Some(&pane) = model.layers.as_code() else {
        return Vec::new();
    };
    let files = model.code_files();
    let Some(shown) = files.get(pane.file.min(files.len().saturating_sub(1))) else {
        return Vec::new();
    };
    let folder = format!("{}-{}", model.cloud.key(), shown.format.key);
    if write_all {
        let format = shown.format;
        let mut module: Vec<(String, String)> = files
            .into_iter()
            .filter(|file| file.format == format)
            .map(|file| (file.name, file.text))
            .collect();
        module.sort_by(|a, b| a.0.cmp(&b.0));
        let what = match module.len() {
            1 => format!("the {} file", format.title),
            n => format!("the {} files ({n})", format.title),
        };
        vec![Effect::WriteFiles {
            what,
            folder,
            files: module,
        }]
    } else {
        vec![Effect::CopyToClipboard {
            what: format!("{} ({})", shown.name, shown.format.title),
            file_name: format!("{folder}-{}", shown.name),
            text: shown.text.clone(),
        }]
    }
}
