//! Test helper: takes over the terminal the way the wizard does, draws once, then panics.
//! `tests/terminal.rs` runs it in a pseudo-terminal to prove a panic gives the terminal back.

fn main() {
    let mut terminal = match ekm_wizard::app::terminal::enter(false) {
        Ok(terminal) => terminal,
        Err(err) => {
            eprintln!("cannot take over the terminal: {err}");
            std::process::exit(2);
        }
    };
    let _ = terminal.draw(|frame| {
        frame.render_widget(
            ratatui::widgets::Paragraph::new("about to fail"),
            frame.area(),
        );
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    panic!("a deliberate failure, to prove the terminal is restored");
}
