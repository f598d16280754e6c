//! One bot "process" in the test process: its own runtime on its own
//! thread, killed by dropping the runtime, which abandons every task where
//! it stands and closes its connections, as a killed process's are.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use duban::clock::ManualClock;
use duban::config::Settings;
use duban::faults::Hooks;
use tokio::sync::watch;

/// One bot "process": its own runtime on its own thread. Killing drops the
/// runtime, which abandons every task at whatever await it stands at.
/// Instances being killed; see [`Instance::kill`].
pub static DYING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

pub struct Instance {
    name: String,
    kill: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub hooks: Arc<Hooks>,
}

impl Instance {
    pub fn start(settings: Settings, clock: ManualClock) -> Instance {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("soak-instance-{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let hooks = Arc::new(Hooks::default());
        let (kill, killed) = std::sync::mpsc::channel::<()>();
        let h = hooks.clone();
        let thread_name = name.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(thread_name)
                .enable_all()
                .build()
                .unwrap();
            let (_stop, shutdown) = watch::channel(false);
            rt.spawn(duban::app::run_with(settings, Arc::new(clock), shutdown, h));
            let _ = killed.recv();
            rt.shutdown_background();
        });
        Instance {
            name,
            kill: Some(kill),
            thread: Some(thread),
            hooks,
        }
    }

    pub fn kill(mut self) {
        // Tearing a runtime down drops its tasks in any order; teloxide's
        // dispatcher may then panic on a closed channel. A real kill has no
        // such afterlife, so panics on a dying instance's threads are not
        // the bot's.
        DYING.lock().unwrap().push(self.name.clone());
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
