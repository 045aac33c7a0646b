import { render } from "preact";
import { App } from "./app.tsx";
import "./styles/base.css";
import "./styles/shell.css";
import "./styles/live.css";
import "./styles/pages.css";
import "./styles/dialog.css";
import "./styles/phone.css";

render(<App />, document.getElementById("app")!);
