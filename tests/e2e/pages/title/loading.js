// A spinner drawn as text, as many apps draw one, turning every 100 ms for `ms`; then `draw()`.
function drawAfterLoading(ms, draw) {
  const main = document.getElementById("main");
  main.textContent = "Loading";
  const spin = setInterval(() => {
    main.textContent = main.textContent.length < 10 ? main.textContent + "." : "Loading";
  }, 100);
  setTimeout(() => {
    clearInterval(spin);
    draw();
  }, ms);
}

// The record's page: its name in the main heading, its own buttons.
function drawRecord() {
  document.getElementById("heading").textContent = "Hortensia Blackwood";
  document.getElementById("main").innerHTML =
    '<button id="call" type="button">Call</button> <button id="archive" type="button">Archive</button>';
}
